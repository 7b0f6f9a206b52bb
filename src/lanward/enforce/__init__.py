"""Enforcement in gateway mode: the station routes between a LAN and a WAN interface and blocks.

- `ruleset`: the nftables table `inet lanward`: named sets, and chains whose drops are explicit
  matches on those sets, only while the station's heartbeat lives (so it fails open);
- `policy`: sans-IO: the console's policy, the indicator feeds and the engine's alerts in, the
  sets' wanted content and each alert's `action` out;
- `lanward.lib.nftables`: the only code that runs `nft` (and a dry-run backend);
- `lanward.daemons.enforcer`: the thread of the station that keeps the sets and the heartbeat.
"""
