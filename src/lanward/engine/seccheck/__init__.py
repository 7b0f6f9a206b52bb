"""The security check's pure logic: no sockets, no files, no clock.

model       targets, options, services, results; refusal of targets outside the home networks
products    banner / Server header / title -> product, version, maker, CPE 2.3
credentials which default and weak credentials to try, vendor first (defaultcreds, Mirai, weak)
budget      the hard per-device attempt budget
forms       login-page fingerprints and web login forms
wire        the few protocol messages the checks send (SNMP, MQTT, SMB1, Telnet, RTSP auth)
findings    findings in plain words, configuration checks
nmapxml     nmap -sV XML -> services

The network side is `lanward.daemons.scanner`.
"""
