"""Real domain names the household generator's devices use, by what uses them.

Lists of well-known public sites and the cloud endpoints the device kinds talk to (as seen in
published captures of such devices). Nothing is ever contacted: the names only appear in
generated events.
"""

from __future__ import annotations

# Sites people browse: the head of any popularity list, plus regional news, shops and services.
BROWSING = """
google.com youtube.com facebook.com wikipedia.org amazon.com instagram.com twitter.com x.com
reddit.com linkedin.com netflix.com yahoo.com bing.com microsoft.com apple.com live.com
office.com zoom.us twitch.tv ebay.com pinterest.com tiktok.com whatsapp.com openai.com
chatgpt.com github.com stackoverflow.com imdb.com paypal.com spotify.com dropbox.com
adobe.com salesforce.com wordpress.org wordpress.com tumblr.com medium.com quora.com
nytimes.com theguardian.com bbc.co.uk bbc.com cnn.com washingtonpost.com reuters.com
bloomberg.com forbes.com wsj.com economist.com spiegel.de zeit.de faz.net sueddeutsche.de
tagesschau.de heise.de golem.de chip.de t-online.de web.de gmx.net lemonde.fr lefigaro.fr
elpais.com corriere.it repubblica.it nos.nl nu.nl derstandard.at orf.at srf.ch nzz.ch
booking.com airbnb.com tripadvisor.com expedia.com trivago.com skyscanner.net lufthansa.com
ryanair.com easyjet.com bahn.de sbb.ch uber.com lyft.com doordash.com deliveroo.co.uk
lieferando.de etsy.com aliexpress.com alibaba.com walmart.com target.com bestbuy.com
ikea.com zalando.de otto.de mediamarkt.de idealo.de kleinanzeigen.de ebay.de amazon.de
amazon.co.uk asos.com hm.com zara.com nike.com adidas.com decathlon.com lidl.de aldi.com
rewe.de dm.de tesco.com sainsburys.co.uk wikipedia.de wiktionary.org wikimedia.org
duolingo.com khanacademy.org coursera.org udemy.com edx.org britannica.com dictionary.com
merriam-webster.com leo.org dict.cc deepl.com translate.goog weather.com wetter.com
accuweather.com espn.com kicker.de sport1.de skysports.com bundesliga.com uefa.com fifa.com
nba.com nfl.com formula1.com imgur.com flickr.com vimeo.com dailymotion.com soundcloud.com
bandcamp.com deezer.com tidal.com audible.com goodreads.com kindle.com steampowered.com
steamcommunity.com epicgames.com ea.com ubisoft.com playstation.com xbox.com nintendo.com
roblox.com minecraft.net chess.com lichess.org yelp.com maps.me openstreetmap.org
tripadvisor.de chefkoch.de allrecipes.com bbcgoodfood.com nationalgeographic.com nasa.gov
who.int europa.eu gov.uk bund.de usa.gov irs.gov nhs.uk mayoclinic.org webmd.com
healthline.com techcrunch.com theverge.com wired.com arstechnica.com engadget.com cnet.com
zdnet.com tomshardware.com anandtech.com slashdot.org hackernews.com ycombinator.com
mozilla.org python.org readthedocs.io gitlab.com bitbucket.org atlassian.com notion.so
slack.com discord.com telegram.org signal.org protonmail.com proton.me fastmail.com
mailchimp.com canva.com figma.com trello.com asana.com evernote.com grammarly.com
wetransfer.com box.com icloud.com onedrive.com sharepoint.com office365.com outlook.com
hotmail.com gmail.com blogger.com substack.com patreon.com kickstarter.com indiegogo.com
gofundme.com change.org avaaz.org ted.com archive.org weebly.com wix.com squarespace.com
shopify.com godaddy.com namecheap.com cloudflare.com digitalocean.com hetzner.com ionos.de
strato.de check24.de verivox.de n26.com revolut.com wise.com sparkasse.de dkb.de ing.de
commerzbank.de deutsche-bank.de postbank.de barclays.co.uk hsbc.com chase.com
bankofamerica.com wellsfargo.com citi.com capitalone.com americanexpress.com visa.com
mastercard.com klarna.com dhl.de dhl.com ups.com fedex.com hermesworld.com dpd.de
deutschepost.de royalmail.com usps.com
""".split()

WINDOWS = """
microsoft.com windowsupdate.com live.com office.com office365.com microsoftonline.com
msftconnecttest.com windows.com bing.com skype.com teams.microsoft.com msn.com
visualstudio.com azureedge.net akamaized.net msedge.net
""".split()

ANDROID = """
google.com googleapis.com gstatic.com googleusercontent.com googlevideo.com youtube.com
ytimg.com ggpht.com android.com doubleclick.net app-measurement.com crashlytics.com
whatsapp.net whatsapp.com instagram.com cdninstagram.com facebook.com fbcdn.net
spotify.com scdn.co samsung.com samsungapps.com samsungcloud.com
""".split()

CAMERA = "hik-connect.com ezvizlife.com hikvision.com ntp.org".split()
PLUG = "tuyaeu.com tuyaus.com tuya.com ntp.org".split()
TV = """
lgtvsdp.com lgsmartad.com lge.com lgappstv.com netflix.com nflxvideo.net nflximg.net
nflxso.net nflxext.com youtube.com googlevideo.com ytimg.com primevideo.com
amazonvideo.com media-amazon.com aiv-cdn.net disneyplus.com dssott.com bamgrid.com
""".split()

# Where big uploads legitimately go (photo backup, file sync).
BACKUP = {"phone": "googleapis.com", "laptop": "onedrive.com"}


def popular_domains() -> list[str]:
    """Every real name above, once."""
    return sorted(set(BROWSING + WINDOWS + ANDROID + CAMERA + PLUG + TV))
