"""moto in server mode on loopback: the S3, Batch, Logs, IAM and CloudFormation of tests and
benchmarks. One place starts it, so both configure it the same way."""

from __future__ import annotations

import json
import logging
import os
import urllib.request

# Credentials the emulator accepts; never real ones.
EMULATOR_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def start_emulator():
    """Start moto on 127.0.0.1 (a free port); returns (server, endpoint URL).

    Batch records jobs without Docker: with docker mode on and no daemon they hang in PENDING.
    """
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    request = urllib.request.Request(
        f"{endpoint}/moto-api/config",
        method="POST",
        data=json.dumps({"batch": {"use_docker": False}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=10).read()
    return server, endpoint


def use_emulator() -> str:
    """Start the emulator and point this process (and the processes it starts) at it."""
    _server, endpoint = start_emulator()
    os.environ.update(EMULATOR_ENV, AWS_ENDPOINT_URL=endpoint)
    return endpoint
