#!/usr/bin/env python3
"""Collector benchmark on a replayed estate: a local HTTP server answers an API's calls for
an organisation of N machine identities, built from the documented response shapes under
fixtures/<api>/ (each item a fixture example with its ids and names varied), 100 per page
with the API's own pagination; then one `nhiscan scan --<api> ... --stats` is timed.

Usage: python3 benches/replayed_estate.py gitlab [--identities 5000] [--latency-ms 0]
Needs a release build (`cargo build --release`). Prints wall time, identities, API calls,
calls per identity, and peak RSS of nhiscan.
"""
import argparse, json, os, resource, socket, subprocess, sys, tempfile, threading, time
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
from urllib.parse import urlsplit, parse_qs

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGE = 100


def fixture(api, name):
    with open(os.path.join(ROOT, "fixtures", api, name)) as f:
        return json.load(f)


class GitlabEstate:
    """One group with N/10 projects; each project has 2 access tokens, 2 deploy tokens,
    2 deploy keys, 2 variables, 1 trigger and 1 webhook (10 identities)."""

    def __init__(self, identities):
        self.projects = max(1, identities // 10)
        self.group = dict(fixture("gitlab", "groups.get.json"), full_path="bench", id=1)
        self.project = fixture("gitlab", "groups.list-projects.json")[0]
        self.token = fixture("gitlab", "project_access_tokens.list.json")[0]
        self.deploy_token = fixture("gitlab", "deploy_tokens.list-project.json")[0]
        self.key = fixture("gitlab", "deploy_keys.list-project.json")[0]
        self.variable = fixture("gitlab", "project_level_variables.list.json")[0]
        self.trigger = fixture("gitlab", "pipeline_triggers.list.json")[0]
        self.hook = fixture("gitlab", "project_webhooks.list.json")[0]

    def args(self, url):
        return ["--gitlab", "bench", "--gitlab-url", url], {"GITLAB_TOKEN": "bench-token"}

    def answer(self, path, query):
        """(status, body, headers) for one GET."""
        if path == "/api/v4/groups/bench":
            return 200, self.group
        if path == "/api/v4/groups/bench/projects":
            items = [dict(self.project, id=1000 + n, path_with_namespace=f"bench/p{n}",
                          default_branch=None) for n in range(self.projects)]
            return "paged", items
        if path.startswith("/api/v4/groups/bench/"):
            return 200, []  # group-level lists, subgroups: none
        parts = path.split("/")  # ['', 'api', 'v4', 'projects', ID, list]
        if len(parts) == 6 and parts[3] == "projects":
            pid, what = int(parts[4]), parts[5]
            base = pid * 10
            make = {
                "access_tokens": lambda: [dict(self.token, id=base + i, user_id=base + i) for i in range(2)],
                "deploy_tokens": lambda: [dict(self.deploy_token, id=base + i) for i in range(2)],
                "deploy_keys": lambda: [dict(self.key, id=base + i) for i in range(2)],
                "variables": lambda: [dict(self.variable, key=f"VAR_{i}") for i in range(2)],
                "triggers": lambda: [dict(self.trigger, id=base)],
                "hooks": lambda: [dict(self.hook, id=base)],
            }.get(what)
            if make:
                return 200, make()
        return 404, {"message": "404 Not Found"}


class GcpEstate:
    """One project with N/5 service accounts, each with 4 user-managed keys, and Policy
    Analyzer activity for every account and key."""

    def __init__(self, identities):
        self.accounts = max(1, identities // 5)
        self.account = fixture("gcp", "projects.serviceAccounts.list.json")["accounts"][0]
        self.key = fixture("gcp", "projects.serviceAccounts.keys.list.json")["keys"][0]
        self.policy = fixture("gcp", "projects.getIamPolicy.json")
        self.activity = fixture("gcp", "activities.query.json")["activities"][0]

    def args(self, url):
        return ["--gcp", "bench", "--gcp-url", url], {"GOOGLE_OAUTH_ACCESS_TOKEN": "bench-token",
                                                        "GCE_METADATA_HOST": "127.0.0.1:9"}

    def email(self, n):
        return f"sa{n}@bench.iam.gserviceaccount.com"

    def answer(self, path, query):
        base = "/v1/projects/bench"
        if path == base:
            return 200, {"projectId": "bench", "labels": {"owner": "team-bench"}}
        if path == base + ":getIamPolicy":
            return 200, self.policy
        if path == base + "/serviceAccounts":
            return "token-paged", ("accounts", [
                dict(self.account, email=self.email(n), name=f"projects/bench/serviceAccounts/{self.email(n)}")
                for n in range(self.accounts)])
        if path.startswith(base + "/serviceAccounts/"):
            rest = path[len(base + "/serviceAccounts/"):]
            if rest.endswith(":getIamPolicy"):
                return 200, {"version": 1, "etag": "BwY="}
            if rest.endswith("/keys"):
                email = rest[:-len("/keys")]
                return 200, {"keys": [dict(self.key, name=f"projects/bench/serviceAccounts/{email}/keys/{n:040x}")
                                      for n in range(4)]}
        if path.endswith("/activities:query"):
            kind = path.split("/activityTypes/")[1].split("/")[0]
            items = []
            for n in range(self.accounts):
                name = f"//iam.googleapis.com/projects/bench/serviceAccounts/{self.email(n)}"
                if kind == "serviceAccountLastAuthentication":
                    items.append(dict(self.activity, fullResourceName=name))
                else:
                    items.extend(dict(self.activity, fullResourceName=f"{name}/keys/{k:040x}") for k in range(4))
            return "token-paged", ("activities", items)
        return 404, {"error": {"code": 404, "message": "not found", "status": "NOT_FOUND"}}


class AzureEstate:
    """One tenant with N/3 applications, each with a service principal, one client secret
    and one certificate; one Graph permission per principal, one owner per application."""

    TENANT = "11111111-0000-4000-8000-000000000001"

    def __init__(self, identities):
        self.apps = max(1, identities // 3)
        self.app = fixture("azure", "applications.list.json")["value"][0]
        self.sp = fixture("azure", "servicePrincipals.list.json")["value"][1]
        self.assignment = fixture("azure", "servicePrincipal.appRoleAssignments.list.json")["value"][1]
        self.owner = fixture("azure", "application.owners.list.json")["value"][0]
        self.graph = fixture("azure", "servicePrincipal.graph.json")
        self.token = None

    def args(self, url):
        return (["--azure", self.TENANT, "--azure-graph-url", url],
                {"AZURE_TENANT_ID": self.TENANT, "AZURE_CLIENT_ID": "bench", "AZURE_CLIENT_SECRET": "bench",
                 "AZURE_AUTHORITY_HOST": url, "PATH": "/nonexistent"})

    def answer(self, path, query):
        if path.endswith("/oauth2/v2.0/token"):
            return 200, {"token_type": "Bearer", "expires_in": 3599, "access_token": "bench"}
        if path == "/v1.0/applications":
            return "odata-paged", [dict(self.app, id=f"a{n}", appId=f"app{n}", displayName=f"app-{n}",
                                        passwordCredentials=[dict(self.app["passwordCredentials"][0], keyId=f"s{n}", hint=f"{n:03d}"[-3:])],
                                        keyCredentials=[dict(self.app["keyCredentials"][0], keyId=f"c{n}")])
                                   for n in range(self.apps)]
        if path == "/v1.0/servicePrincipals":
            return "odata-paged", [dict(self.sp, id=f"sp{n}", appId=f"app{n}", appOwnerOrganizationId=self.TENANT)
                                   for n in range(self.apps)]
        if path.startswith("/v1.0/servicePrincipals/") and path.endswith("/appRoleAssignments"):
            sp = path.split("/")[3]
            return 200, {"value": [dict(self.assignment, principalId=sp)]}
        if path.startswith("/v1.0/servicePrincipals/"):
            return 200, self.graph
        if path.endswith("/owners"):
            return 200, {"value": [self.owner]}
        if path.endswith("/federatedIdentityCredentials") or path == "/v1.0/oauth2PermissionGrants":
            return 200, {"value": []}
        if path == "/beta/reports/servicePrincipalSignInActivities":
            return "odata-paged", [{"appId": f"app{n}", "lastSignInActivity": {"lastSignInDateTime": "2026-11-01T00:00:00Z"}}
                                   for n in range(self.apps)]
        return 404, {"error": {"code": "Request_ResourceNotFound", "message": "not found"}}


ESTATES = {"gitlab": GitlabEstate, "gcp": GcpEstate, "azure": AzureEstate}


def serve(estate, latency):
    calls = [0]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def setup(self):
            super().setup()
            # Headers and body go out in two writes: without this, delayed ACKs add
            # ~40 ms to every answer and the benchmark measures the server.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.do_GET()

        def do_GET(self):
            calls[0] += 1
            if latency:
                time.sleep(latency)
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            status, body = estate.answer(url.path, query)
            headers = {}
            if status == "paged":
                page = int(query.get("page", ["1"])[0])
                per = int(query.get("per_page", [str(PAGE)])[0])
                chunk = body[(page - 1) * per: page * per]
                if page * per < len(body):
                    q = dict((k, v[0]) for k, v in query.items())
                    q["page"] = str(page + 1)
                    qs = "&".join(f"{k}={v}" for k, v in q.items())
                    headers["Link"] = f'<http://{self.headers["Host"]}{url.path}?{qs}>; rel="next"'
                status, body = 200, chunk
            elif status == "odata-paged":
                items = body
                start = int(query.get("$skiptoken", ["0"])[0])
                per = int(query.get("$top", ["100"])[0])
                body = {"value": items[start:start + per]}
                if start + per < len(items):
                    body["@odata.nextLink"] = f"http://{self.headers['Host']}{url.path}?$skiptoken={start + per}&$top={per}"
                status = 200
            elif status == "token-paged":
                field, items = body
                start = int(query.get("pageToken", ["0"])[0])
                per = int(query.get("pageSize", ["100"])[0])
                body = {field: items[start:start + per]}
                if start + per < len(items):
                    body["nextPageToken"] = str(start + per)
                status = 200
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, calls


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("api", choices=sorted(ESTATES))
    ap.add_argument("--identities", type=int, default=5000)
    ap.add_argument("--latency-ms", type=float, default=0, help="added to every answer")
    args = ap.parse_args()
    binary = os.path.join(ROOT, "target/release/nhiscan")
    if not os.path.exists(binary):
        sys.exit("no release build; run `cargo build --release` first")
    estate = ESTATES[args.api](args.identities)
    server, calls = serve(estate, args.latency_ms / 1000)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    flags, env = estate.args(url)
    with tempfile.TemporaryDirectory() as home:
        out = os.path.join(home, "inv.json")
        t = time.time()
        p = subprocess.run([binary, "scan", *flags, "--stats", "--format", "json", "-o", out],
                           env=dict(os.environ, HOME=home, **env), capture_output=True, text=True,
                           cwd=home)
        wall = time.time() - t
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        inv = json.load(open(out))
    server.shutdown()
    src = inv["sources"][0]
    n = sum(1 for i in inv["identities"] if i.get("discovery") == "collected")
    print(f"nhiscan scan --{args.api}: {wall:.2f} s wall, exit {p.returncode}, source {src['status']}, "
          f"peak RSS {rss:.0f} MiB")
    print(f"identities: {n}, API calls: {src.get('api_calls')} (server saw {calls[0]}), "
          f"{src.get('api_calls', 0) / max(n, 1):.3f} calls per identity")
    if src["status"] != "ok":
        print("errors:", src.get("errors", [])[:3])


if __name__ == "__main__":
    main()
