"""The standards' own validators against a running desi-city (run by .ci/standards and by
tests/it/standards.rs): openapi-spec-validator over /api/v1/openapi.json; pyshacl with the
DCAT-AP 3.0 shapes over the catalogue and every dataset it lists, and the JSON-LD keys every
processor must keep; pyld's JSON-LD expansion of the NGSI-LD KPI entities (/api/v1/kpis) with the
contexts of tests/fixtures (no term dropped, each to the Smart Data Model's IRI); the HTTP rules of RFC 9110/9111 (per-encoding validators, If-Modified-Since,
Vary on 304, 405 as problem+json) and RFC 3339 times. Prints each failure and exits 1 on any.

Usage: standards.py --base http://127.0.0.1:PORT --shapes dcat-ap-SHACL.ttl {openapi,dcat,kpis,http,all}
"""

import argparse
import gzip
import http.client
import json
import re
import sys
import urllib.parse
from collections import Counter

FAILURES: list[str] = []

# Vocabularies the shapes check by class (sh:class) that are not available offline: desi-city
# types the terms it uses in its own document (a skos:Concept in its scheme, a dct:Location …), so
# none is needed and no warning is accepted. Listed here so a reader knows what was not dereferenced.
OFFLINE_VOCABULARIES = [
    "http://publications.europa.eu/resource/authority/data-theme",
    "http://publications.europa.eu/resource/authority/frequency",
    "http://publications.europa.eu/resource/authority/country",
    "http://publications.europa.eu/resource/authority/language",
    "http://data.europa.eu/nuts",
    "https://www.iana.org/assignments/media-types",
]

RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)
# A timestamp-looking text that is not RFC 3339 (e.g. upstream's `+0200`).
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})?")


def fail(what: str) -> None:
    FAILURES.append(what)
    print(f"FAIL {what}", flush=True)


class Server:
    def __init__(self, base: str):
        url = urllib.parse.urlsplit(base)
        self.host, self.port = url.hostname, url.port

    def request(self, method: str, path: str, headers: dict | None = None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        conn.close()
        headers: dict[str, str] = {}
        for k, v in response.getheaders():
            k = k.lower()
            headers[k] = f"{headers[k]}, {v}" if k in headers else v
        return response.status, headers, body

    def json(self, path: str, accept: str = "application/json"):
        status, headers, body = self.request("GET", path, {"Accept": accept})
        if status != 200:
            raise SystemExit(f"GET {path}: {status} {body[:300]!r}")
        return json.loads(body)


# ---------------------------------------------------------------------------------------------
# OpenAPI


def check_openapi(server: Server) -> None:
    from openapi_spec_validator import validate

    doc = server.json("/api/v1/openapi.json")
    try:
        validate(doc)
    except Exception as error:  # the validator's errors name the path in the document
        fail(f"openapi-spec-validator: {error}")
    ids = Counter(
        op.get("operationId")
        for item in doc.get("paths", {}).values()
        for method, op in item.items()
        if isinstance(op, dict) and method in ("get", "post", "put", "delete", "patch", "head")
    )
    for op_id, n in ids.items():
        if n > 1:
            fail(f"openapi: operationId {op_id!r} used {n} times")
    print(f"openapi: {sum(ids.values())} operations validated", flush=True)


# ---------------------------------------------------------------------------------------------
# DCAT-AP 3.0


def unmapped_keys(node, context: dict, where: str, found: list[str]) -> None:
    """Keys a JSON-LD processor drops: neither a keyword, a term, a compact IRI of a known prefix,
    nor an absolute IRI."""
    if isinstance(node, list):
        for item in node:
            unmapped_keys(item, context, where, found)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "@context":
            continue
        if not key.startswith("@"):
            prefix = key.split(":", 1)[0] if ":" in key else None
            if key not in context and not (prefix and prefix in context) and "://" not in key:
                found.append(f"{where}: {key}")
        unmapped_keys(value, context, where, found)


def shacl(doc: dict, shapes, where: str) -> int:
    import pyshacl
    import rdflib

    graph = rdflib.Graph().parse(data=json.dumps(doc), format="json-ld")
    conforms, results, text = pyshacl.validate(
        graph, shacl_graph=shapes, inference="none", allow_warnings=True, meta_shacl=False
    )
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    kinds: Counter = Counter()
    total = 0
    for result in results.subjects(rdflib.RDF.type, sh.ValidationResult):
        severity = results.value(result, sh.resultSeverity)
        if severity != sh.Violation:
            continue
        total += 1
        path = results.value(result, sh.resultPath)
        message = results.value(result, sh.resultMessage)
        kinds[(str(path), str(message))] += 1
    for (path, message), n in kinds.most_common():
        fail(f"pyshacl {where}: {n} × {path}: {message}")
    if not conforms and total == 0:
        fail(f"pyshacl {where}: does not conform\n{text}")
    print(f"pyshacl {where}: {len(graph)} triples, {total} violations", flush=True)
    return total


def check_dcat(server: Server, shapes_file: str) -> None:
    import rdflib

    shapes = rdflib.Graph().parse(shapes_file, format="turtle")
    catalogue = server.json("/api/v1/datasets", "application/ld+json")
    documents = [("/api/v1/datasets", catalogue)]
    for dataset in catalogue.get("dcat:dataset", []):
        ident = dataset.get("dct:identifier")
        documents.append(
            (f"/api/v1/datasets/{ident}", server.json(f"/api/v1/datasets/{ident}", "application/ld+json"))
        )
    if len(documents) < 2:
        fail("dcat: the catalogue lists no dataset")
    for where, doc in documents:
        shacl(doc, shapes, where)
        dropped: list[str] = []
        unmapped_keys(doc, doc.get("@context", {}), where, dropped)
        for key in sorted(set(dropped)):
            fail(f"json-ld {key}: no mapping in @context (dropped by every JSON-LD processor)")
        times(json.dumps(doc), f"json-ld {where}")


# ---------------------------------------------------------------------------------------------
# NGSI-LD KeyPerformanceIndicator entities (/api/v1/kpis), expanded by a JSON-LD processor

CORE_CONTEXT = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld"
MODEL_CONTEXT = (
    "https://raw.githubusercontent.com/smart-data-models/dataModel.KeyPerformanceIndicator/master/context.jsonld"
)
# The published contexts, read from the test fixtures (tests/fixtures/README.md names their source):
# nothing is fetched from the internet.
FIXTURE_CONTEXTS = {
    CORE_CONTEXT: "tests/fixtures/etsi/ngsi-ld-core-context-v1.9.jsonld",
    MODEL_CONTEXT: "tests/fixtures/smart-data-models/KeyPerformanceIndicator/context.jsonld",
    # The scoped context of the core context's `ngsildproof` term.
    "https://w3id.org/security/data-integrity/v2": "tests/fixtures/w3c/data-integrity-v2.jsonld",
}
MODEL_IRI = "https://smartdatamodels.org/"
OWN_IRI = "https://desi-city.eu/ns#"
DEFAULT_VOCAB = "https://uri.etsi.org/ngsi-ld/default-context/"
NGSI_LD = "https://uri.etsi.org/ngsi-ld/"


def check_kpis(server: Server) -> None:
    from pyld import jsonld

    base = f"http://{server.host}:{server.port}"

    def loader(url, options=None):
        if url in FIXTURE_CONTEXTS:
            with open(FIXTURE_CONTEXTS[url], encoding="utf-8") as f:
                document = json.load(f)
        elif url.startswith(base + "/"):
            status, _, body = server.request("GET", url[len(base):], {"Accept": "application/ld+json"})
            if status != 200:
                raise jsonld.JsonLdError(f"{url}: {status}", "jsonld.LoadDocumentError", code="loading document failed")
            document = json.loads(body)
        else:
            raise jsonld.JsonLdError(
                f"offline: {url} is neither a fixture nor this server", "jsonld.LoadDocumentError",
                code="loading document failed",
            )
        return {"contextUrl": None, "documentUrl": url, "document": document}

    model = json.load(open(FIXTURE_CONTEXTS[MODEL_CONTEXT], encoding="utf-8"))["@context"]
    checked = 0
    for path, accept, form in [
        ("/api/v1/kpis", "application/ld+json", "keyValues"),
        ("/api/v1/kpis?options=normalized", "application/ld+json", "normalized"),
        ("/api/v1/kpis", "application/json", "keyValues"),
    ]:
        status, headers, body = server.request("GET", path, {"Accept": accept})
        if status != 200 or not headers.get("content-type", "").startswith(accept):
            fail(f"kpis {path} ({accept}): {status} {headers.get('content-type')}")
            continue
        entities = json.loads(body)
        if not entities:
            fail(f"kpis {path}: no entity")
        options = {"documentLoader": loader}
        if accept == "application/json":
            # The context comes from the Link header (NGSI-LD, JSON-LD 1.1 §6.1).
            links = [l for l in headers.get("link", "").split(", <") if "json-ld#context" in l]
            if len(links) != 1:
                fail(f"kpis {path}: {len(links)} JSON-LD context Link headers: {headers.get('link')}")
                continue
            options["expandContext"] = links[0].lstrip("<").split(">", 1)[0]
            if any("@context" in e for e in entities):
                fail(f"kpis {path}: an application/json entity carries @context")
        for entity in entities:
            try:
                expanded = jsonld.expand(entity, options)
            except jsonld.JsonLdError as error:
                fail(f"kpis {entity.get('id')}: JSON-LD expansion failed: {error}")
                continue
            if len(expanded) != 1:
                fail(f"kpis {entity.get('id')}: expanded to {len(expanded)} nodes")
                continue
            node = expanded[0]
            where = f"kpis {form} {accept} {entity.get('id')}"
            if node.get("@id") != entity.get("id"):
                fail(f"{where}: @id {node.get('@id')}")
            if node.get("@type") != [MODEL_IRI + "dataModel.KeyPerformanceIndicator/KeyPerformanceIndicator"]:
                fail(f"{where}: @type {node.get('@type')}")
            terms = [k for k in entity if k not in ("@context", "id", "type")]
            predicates = [k for k in node if not k.startswith("@")]
            if len(predicates) != len(terms):
                fail(f"{where}: {len(terms)} attributes, {len(predicates)} after expansion (a term was dropped)")
            for term in terms:
                iri = model.get(term)
                iri = iri if isinstance(iri, str) else None
                expected = iri or OWN_IRI + term
                if term == "license":
                    expected = "http://purl.org/dc/terms/license"
                if expected not in node:
                    fail(f"{where}: {term} did not expand to {expected}")
            for predicate in predicates:
                if predicate.startswith(DEFAULT_VOCAB):
                    fail(f"{where}: {predicate}: a term no context defines")
                values = node[predicate]
                if form == "normalized":
                    # Each attribute a Property with a value, or a Relationship with an object.
                    for value in values:
                        kinds = value.get("@type", [])
                        if kinds == [NGSI_LD + "Property"] and NGSI_LD + "hasValue" in value:
                            continue
                        if kinds == [NGSI_LD + "Relationship"] and NGSI_LD + "hasObject" in value:
                            continue
                        fail(f"{where}: {predicate} is neither a Property nor a Relationship: {value}")
            period = node.get(MODEL_IRI + "dataModel.KeyPerformanceIndicator/calculationPeriod")
            if form == "keyValues" and "calculationPeriod" in entity:
                inner = period[0] if period else {}
                for part in ("from", "to"):
                    if MODEL_IRI + f"dataModel.KeyPerformanceIndicator/{part}" not in inner:
                        fail(f"{where}: calculationPeriod.{part} dropped")
            checked += 1
    print(f"kpis: {checked} entities expanded by pyld", flush=True)


# ---------------------------------------------------------------------------------------------
# HTTP (RFC 9110/9111, RFC 9457) and RFC 3339


def times(text: str, where: str) -> None:
    bad = sorted({m.group(0) for m in TIMESTAMP.finditer(text) if not RFC3339.match(m.group(0))})
    for t in bad[:5]:
        fail(f"{where}: timestamp {t!r} is not RFC 3339")


def tokens(header: str) -> set[str]:
    return {t.strip().lower() for t in header.split(",") if t.strip()}


def check_http(server: Server) -> None:
    paths = [
        "/api/v1/indicators",
        "/api/v1/datasets",
        "/api/v1/indicators/households_internet_access/series?geo=BE,EU27_2020",
        "/api/v1/openapi.json",
    ]
    for path in paths:
        tags = {}
        for encoding in ("gzip", "br", "identity"):
            status, headers, body = server.request("GET", path, {"Accept-Encoding": encoding})
            if status != 200:
                fail(f"GET {path} ({encoding}): {status}")
                continue
            tag = headers.get("etag")
            tags[encoding] = tag
            used = headers.get("content-encoding", "identity")
            if used not in (encoding, "identity"):
                fail(f"GET {path}: asked {encoding}, got {used}")
            vary = headers.get("vary", "").lower()
            if "accept-encoding" not in vary:
                fail(f"GET {path} ({encoding}): Vary {vary!r} lacks accept-encoding")
            # The 304 to this ETag carries the Vary of its 200 (RFC 9110 15.4.5).
            s304, h304, b304 = server.request(
                "GET", path, {"Accept-Encoding": encoding, "If-None-Match": tag or '""'}
            )
            if s304 != 304:
                fail(f"GET {path} ({encoding}) If-None-Match its ETag: {s304}, not 304")
            elif tokens(h304.get("vary", "")) != tokens(vary):
                fail(f"304 {path} ({encoding}): Vary {h304.get('vary')!r}, its 200 has {vary!r}")
            elif h304.get("etag") != tag:
                fail(f"304 {path} ({encoding}): ETag {h304.get('etag')!r}, its 200 has {tag!r}")
            modified = headers.get("last-modified")
            if modified:
                s, _, _ = server.request(
                    "GET", path, {"Accept-Encoding": encoding, "If-Modified-Since": modified}
                )
                if s != 304:
                    fail(f"GET {path} If-Modified-Since its Last-Modified: {s}, not 304")
                s, _, _ = server.request(
                    "GET", path, {"If-Modified-Since": "Tue, 01 Jan 2030 00:00:00 GMT"}
                )
                if s != 304:
                    fail(f"GET {path} If-Modified-Since 2030: {s}, not 304")
                s, _, _ = server.request(
                    "GET", path, {"If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"}
                )
                if s != 200:
                    fail(f"GET {path} If-Modified-Since 2000: {s}, not 200")
                s, _, _ = server.request(
                    "GET",
                    path,
                    {"If-Modified-Since": "Tue, 01 Jan 2030 00:00:00 GMT", "If-None-Match": '"other"'},
                )
                if s != 200:
                    fail(f"GET {path} If-None-Match other + If-Modified-Since 2030: {s}, not 200 (If-None-Match wins)")
        strong = [t for t in tags.values() if t and not t.startswith("W/")]
        if len(strong) != len(set(strong)):
            fail(f"GET {path}: encodings share one strong ETag: {tags}")

    for path in ("/api/v1/indicators", "/api/v1/datasets", "/health"):
        status, headers, body = server.request("POST", path, {"Content-Length": "0"})
        if status != 405:
            fail(f"POST {path}: {status}, not 405")
            continue
        if headers.get("content-type", "").split(";")[0] != "application/problem+json":
            fail(f"405 {path}: Content-Type {headers.get('content-type')!r}, not application/problem+json")
            continue
        problem = json.loads(body or b"{}")
        if problem.get("status") != 405 or not problem.get("type") or not problem.get("detail"):
            fail(f"405 {path}: problem {problem}")
        if "GET" not in headers.get("allow", ""):
            fail(f"405 {path}: Allow {headers.get('allow')!r}")

    series = "/api/v1/indicators/households_internet_access/series?geo=BE,EU27_2020"
    for fmt in ("json", "csv", "jsonstat"):
        status, headers, body = server.request(
            "GET", f"{series}&format={fmt}", {"Accept-Encoding": "identity"}
        )
        if status != 200:
            fail(f"GET {series}&format={fmt}: {status}")
            continue
        times(body.decode(), f"{fmt} {series}")
        if fmt == "csv":
            lines = body.split(b"\n")
            if not all(line.endswith(b"\r") for line in lines[:-1]) or lines[-1] != b"":
                fail(f"csv {series}: lines do not end in CRLF (RFC 4180)")
        if fmt == "jsonstat":
            cube = json.loads(body)
            geo = cube.get("dimension", {}).get("geo", {}).get("category", {})
            labels = geo.get("label", {})
            if labels.get("BE") in (None, "BE"):
                fail(f"jsonstat {series}: geo BE has no upstream label ({labels.get('BE')!r})")
            if not any("unit" in (d.get("category") or {}) for d in cube.get("dimension", {}).values()):
                fail(f"jsonstat {series}: no category carries the metric's unit")
    status, headers, body = server.request("GET", "/api/v1/datasets/isoc_ci_in_h.csv", {})
    if status == 200:
        times(body.decode(), "csv /api/v1/datasets/isoc_ci_in_h.csv")
    for path in ("/api/v1/sources", "/api/v1/datasets/isoc_ci_in_h"):
        status, headers, body = server.request("GET", path, {"Accept": "application/json"})
        if status == 200:
            times(body.decode(), f"json {path}")
    print("http: checked", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--shapes", required=True)
    parser.add_argument("what", choices=["openapi", "dcat", "kpis", "http", "all"])
    args = parser.parse_args()
    server = Server(args.base)
    if args.what in ("openapi", "all"):
        check_openapi(server)
    if args.what in ("dcat", "all"):
        check_dcat(server, args.shapes)
    if args.what in ("kpis", "all"):
        check_kpis(server)
    if args.what in ("http", "all"):
        check_http(server)
    if FAILURES:
        print(f"{len(FAILURES)} failures", flush=True)
        return 1
    print("standards: no failures", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
