"""Reads the credential files as Python programs do; prints one JSON object.

    python readers.py DIR HOST...

- configparser: the sections of DIR/credentials, and for `default` and each HOST each key as
  configparser lists it (it lower-cases names) and the values looked up with the spelling the
  Node SDK uses (`host`, `userId`, `authId`, `issuedAt`);
- dotenv: python-dotenv's dotenv_values(DIR/.env), and os.environ after load_dotenv.
"""
import configparser
import importlib.metadata
import json
import os
import sys

import dotenv

directory, hosts = sys.argv[1], sys.argv[2:]
parser = configparser.ConfigParser()
read = parser.read(os.path.join(directory, "credentials"), encoding="utf-8")


def section(name):
    if not parser.has_section(name):
        return None
    return {
        "items": dict(parser.items(name)),
        "lookups": {key: parser.get(name, key, fallback=None)
                    for key in ("host", "userId", "authId", "issuedAt")},
    }


env_path = os.path.join(directory, ".env")
keys = ("KONECTY_URL", "KONECTY_TOKEN", "KONECTY_USER_ID")
for key in keys:
    os.environ.pop(key, None)
loaded = dotenv.load_dotenv(env_path)

print(json.dumps({
    "versions": {
        "python": sys.version.split()[0],
        "python-dotenv": importlib.metadata.version("python-dotenv"),
    },
    "configparser": {
        "read": [os.path.basename(path) for path in read],
        "sections": parser.sections(),
        "default": section("default"),
        "hosts": {host: section(host) for host in hosts},
    },
    "dotenv": {
        "values": dotenv.dotenv_values(env_path),
        "loaded": loaded,
        "environ": {key: os.environ.get(key) for key in keys},
    },
}))
