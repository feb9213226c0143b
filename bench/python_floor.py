"""The least a Python login script does for `login-options`: start the interpreter, import
the standard library's HTTP client, GET the endpoint, print the answer.

compare.py times it beside ours: login.py does at least this much (it also parses its
arguments and handles errors), so its time is at least this one's, and our speed-up over
login.py is at least our speed-up over this.

    python3 bench/python_floor.py --host http://127.0.0.1:3000
"""

import json
import sys
import urllib.request

host = sys.argv[sys.argv.index("--host") + 1].rstrip("/")
with urllib.request.urlopen(f"{host}/api/auth/login-options", timeout=10) as reply:
    print(json.dumps(json.load(reply)))
