"""The least a Python login script does for `login-options`: start the interpreter, import
the standard library's HTTP client, GET the endpoint, print the answer.

compare.py times it beside ours. urllib.request, requests and httpx all import at least
http.client's share of the standard library (sockets, email parsing) or more, so a login.py
built on any of them takes at least this long, and our speed-up over login.py is at least
our speed-up over this.

    python3 bench/python_floor.py --host http://127.0.0.1:3000
"""

import http.client
import json
import sys
import urllib.parse

host = urllib.parse.urlsplit(sys.argv[sys.argv.index("--host") + 1])
connection = http.client.HTTPConnection(host.hostname, host.port or 80, timeout=10)
connection.request("GET", "/api/auth/login-options")
reply = connection.getresponse()
if reply.status != 200:
    sys.exit(f"login-options answered {reply.status}")
print(json.dumps(json.load(reply)))
