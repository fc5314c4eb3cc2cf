"""Seeds the Schemathesis target and writes the run's Schemathesis settings.

Run by .ci/schemathesis.sh once `listbridge demo` is ready (it has a connector, an
imported and an uploaded list, runs, jobs and a web form). Through the public API this
adds what the demo lacks: a segment, a sent-campaign report, a form submission, a
Standard Field Name, and a lookup key and routing rule set for the public lookup URL. It then writes the settings file Schemathesis reads: the checked-in
.ci/schemathesis.toml, plus dictionaries of these real ids, names and keys bound to the
path parameters that name them, so most generated requests reach a real list, segment,
run, form or campaign instead of a 404 (a share of them still uses generated values).

Operations that destroy what they name (DELETE, Reset Connector) keep generated ids, so
the seeds live through the run.

Usage: schemathesis_seed.py BASE_URL API_KEY CHECKED_IN_TOML OUT_TOML
Only the standard library; only BASE_URL (loopback) is contacted.
"""

from __future__ import annotations

import json
import sys
import urllib.request

# How often a bound path parameter takes a seeded value rather than a generated one.
PROBABILITY = 0.8


class Api:
    def __init__(self, base: str, key: str) -> None:
        self.base = base.rstrip("/")
        self.key = key

    def call(self, method: str, path: str, body: object | None = None, auth: bool = True):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if auth:
            request.add_header("Authorization", f"Bearer {self.key}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        request.add_header("Accept", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")
            raise SystemExit(f"seeding: {method} {path} answered {error.code}: {detail}") from None
        return json.loads(text) if text else None


def toml_list(values: list[object]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def main() -> None:
    base, key, checked_in, out = sys.argv[1:5]
    api = Api(base, key)

    lists = api.call("GET", "/v1/lists")
    list_ids = [item["id"] for item in lists]
    crm_list = next(item for item in lists if item.get("connector_id"))
    detail = api.call("GET", f"/v1/lists/{crm_list['id']}")
    columns = [c["name"] for c in detail["columns"]]

    segment = api.call(
        "POST",
        f"/v1/lists/{crm_list['id']}/segments",
        {
            "name": "Schemathesis: titled leads",
            "filter": {
                "combine": "all",
                "conditions": [{"column": columns[0], "op": "is_not_empty"}],
            },
        },
    )

    connectors = [c["id"] for c in api.call("GET", "/v1/connectors")]
    forms = api.call("GET", "/v1/forms")
    form = forms[0]
    receipt = api.call(
        "POST",
        form["submit_path"],
        {"email": "seed.person@example.com", "first_name": "Seed", "last_name": "Person"},
        auth=False,
    )
    campaign = "schemathesis-spring"
    api.call(
        "POST",
        "/v1/messages/sent",
        {
            "campaign_id": campaign,
            "subject": "Spring news",
            "sent_at": "2025-03-01T09:00:00Z",
            "recipients": [{"email": "seed.person@example.com"}],
            "write_crm_notes": False,
        },
    )
    api.call("PUT", "/v1/field-usages", {"column": columns[-1], "usage": "business_city"})

    lookup_key = api.call("POST", "/v1/lookup-keys", {"name": "Schemathesis PBX"})["lookup_key"]
    rule_set = api.call(
        "POST",
        "/v1/routing-rules",
        {
            "name": "Schemathesis routing",
            "field": columns[0],
            "rows": [{"operator": "=", "value": "x", "destination": {"type": "queue", "option": "200"}}],
            "default": {"type": "queue", "option": "100"},
        },
    )

    runs = []
    for list_id in list_ids:
        runs += [run["id"] for run in api.call("GET", f"/v1/lists/{list_id}/runs")]
    jobs = [job["id"] for job in api.call("GET", "/v1/jobs")]

    dictionaries = {
        "list_ids": list_ids,
        "segment_ids": [segment["id"]],
        "connector_ids": connectors,
        "form_ids": [f["id"] for f in forms],
        "form_keys": [f["form_key"] for f in forms],
        "submission_ids": [receipt["submission_id"]],
        "run_ids": runs,
        "job_ids": jobs,
        "campaign_ids": [campaign],
        "columns": columns,
        "lookup_keys": [lookup_key],
        "rule_set_ids": [rule_set["id"]],
    }
    # (path regex, parameter, dictionary) for every operation but those that destroy.
    bindings = [
        (r"^/v1/lists/\{id\}", "id", "list_ids"),
        (r"^/v1/segments/\{id\}", "id", "segment_ids"),
        (r"^/v1/connectors/\{id\}/(fields|reconfirm)$|^/v1/connectors/\{id\}$", "id", "connector_ids"),
        (r"^/v1/forms/\{id\}", "id", "form_ids"),
        (r"^/v1/forms/\{id\}/submissions/\{submission_id\}", "submission_id", "submission_ids"),
        (r"^/f/\{form_key\}$", "form_key", "form_keys"),
        (r"^/v1/runs/\{id\}", "id", "run_ids"),
        (r"^/v1/jobs/\{id\}", "id", "job_ids"),
        (r"^/v1/messages/\{campaign_id\}", "campaign_id", "campaign_ids"),
        (r"^/v1/field-usages/\{column\}$", "column", "columns"),
    ]

    lines = [open(checked_in, encoding="utf-8").read().rstrip(), "", "# Seeded by .ci/schemathesis_seed.py"]
    for name, values in dictionaries.items():
        lines.append(f"[dictionaries.{name}]")
        lines.append(f"values = {toml_list(values)}")
    for regex, parameter, dictionary in bindings:
        lines += [
            "",
            "[[operations]]",
            f"include-path-regex = {json.dumps(regex)}",
            'exclude-method = "DELETE"',
            f'parameters = {{ "path.{parameter}" = {{ dictionary = "{dictionary}", probability = {PROBABILITY} }} }}',
        ]
    # The lookup URL: its key (and the route's rule set) bound in one entry per path.
    for regex, parameters in [
        (r"^/crm-lookup/\{lookup_key\}$", {"lookup_key": "lookup_keys"}),
        (
            r"^/crm-lookup/\{lookup_key\}/route/\{rule_set_id\}$",
            {"lookup_key": "lookup_keys", "rule_set_id": "rule_set_ids"},
        ),
    ]:
        bound = ", ".join(
            f'"path.{name}" = {{ dictionary = "{dictionary}", probability = {PROBABILITY} }}'
            for name, dictionary in parameters.items()
        )
        lines += ["", "[[operations]]", f"include-path-regex = {json.dumps(regex)}", f"parameters = {{ {bound} }}"]
    with open(out, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")

    print(
        f"seeded: {len(list_ids)} lists, 1 segment, {len(connectors)} connector(s), {len(forms)} form(s), "
        f"1 submission, {len(runs)} runs, {len(jobs)} jobs, 1 campaign, {len(columns)} columns, "
        "1 lookup key, 1 routing rule set"
    )


if __name__ == "__main__":
    main()
