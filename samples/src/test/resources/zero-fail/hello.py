# The tiny HTTP app of the samples' zero-failure tests (ZeroFailIT, ServeChaosIT): answers like HelloApp.
# Like `python3 -m http.server`, it has no SIGTERM handler: a stop ends it at once. Each answer
# leaves in one write (a buffered writer flushed once per request), so a kill cuts either before
# an answer, which a proxy may retry, or after it; never in its middle, which nothing can save.
import os
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERSION = "@VERSION@"  # replaced by the test that commits this file; empty: the release's name

INSTANCE = os.environ.get("BERTH_INSTANCE_ID", "unknown")
RELEASE = VERSION or os.environ.get("BERTH_RELEASE", "unknown")


class Hello(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = -1  # buffered: headers and body in one write

    def do_GET(self):
        if self.path == "/health":
            body = b"ok\n"
        else:
            body = ("hello from %s (release %s, pid %d)\n" % (INSTANCE, RELEASE, os.getpid())).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


class Server(ThreadingHTTPServer):
    request_queue_size = 128
    daemon_threads = True


if os.environ.get("LISTEN") == "never":
    # a release that starts and runs but never listens on its port
    while True:
        time.sleep(3600)

server = Server(("127.0.0.1", int(os.environ["PORT"])), Hello)
print("%s listening on 127.0.0.1:%s as pid %d" % (INSTANCE, os.environ["PORT"], os.getpid()), flush=True)
server.serve_forever()
