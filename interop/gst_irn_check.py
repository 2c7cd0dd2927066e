"""Authenticates with the gst-e-invoicing library (PyPI gst-e-invoicing 0.9.0) against a nicvault sandbox portal.

Credentials come from the environment that `nicvault exec --profile gst-irn` sets, or, with --dotenv FILE, from the
.env that `nicvault export --profile gst-irn` wrote, read by python-dotenv. SANDBOX_URL names the portal.
"""
import os
import sys

import gst_irn.session as session_module
from gst_irn import Session
from gst_irn.converters import to_buyer

if len(sys.argv) == 3 and sys.argv[1] == "--dotenv":
    from dotenv import dotenv_values
    values = dotenv_values(sys.argv[2])
else:
    values = os.environ

# The library caches tokens in plain JSON files; keep every secret off the disk.
session_module._store_token = lambda *args, **kwargs: None

session = Session(
    values["GSTIN"], values["CLIENT_ID"], values["CLIENT_SECRET"], values["API_USERNAME"], values["API_PASSWORD"],
    values["PUBLIC_KEY"], base_url=os.environ["SANDBOX_URL"])
session.generate_token(cache_dir="/nonexistent/no-token-cache")
info = session.get_gst_info(values["GSTIN"])
assert info["Gstin"] == values["GSTIN"], info
assert info["Status"] == "ACT", info
# The library builds an invoice's buyer from NIC's Master/gstin answer: every address field must be there.
buyer = to_buyer(info, place_of_supply=str(info["StateCode"]))
assert buyer["Gstin"] == values["GSTIN"] and buyer["Stcd"] == str(info["StateCode"]), buyer
print(f"gst-e-invoicing authenticated as {values['API_USERNAME']} and read {info['LegalName']} back; "
      f"to_buyer gave {buyer['Addr1']}, {buyer['Loc']} {buyer['Pin']}")
