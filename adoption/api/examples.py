"""Response examples for the API documentation, one per schema component (the OpenAPI hook places them).

Taken from the reference data (AI Singapore's SEA-LION on Qwen); tests/adoption/api/test_openapi_docs.py
validates each against its schema, so an example that drifts from the serializers fails the suite.
"""

SINGAPORE = {"iso2": "SG", "name": "Singapore"}
CHINA = {"iso2": "CN", "name": "China"}
AI_SINGAPORE = {"slug": "ai-singapore", "name": "AI Singapore", "kind": "public_programme", "country": SINGAPORE,
                "city": "Singapore"}
QWEN = {"slug": "qwen", "name": "Qwen", "origin_country": CHINA}
EVIDENCE = {
    "id": 41, "url": "https://huggingface.co/aisingapore/Qwen-SEA-LION-v4-32B-IT", "kind": "model_card",
    "title": "Qwen-SEA-LION-v4-32B-IT model card", "publisher": "AI Singapore", "published_on": "2025-11-24",
    "quote": "Continue pretrained from model: Qwen-3-32B", "link_status": "ok",
    "link_checked_at": "2026-11-30T04:00:12Z",
}
ADOPTION = {
    "id": 17, "adopter": AI_SINGAPORE, "partners": [], "family": QWEN,
    "checkpoint": {"id": 12, "repo_id": "Qwen/Qwen3-32B", "name": "Qwen3-32B"}, "checkpoint_note": "",
    "relation": "continued_pretraining", "stage": "production", "product_name": "Qwen-SEA-LION-v4-32B-IT",
    "product_url": "https://sea-lion.ai/", "started_on": "2025-11", "started_precision": "month",
    "ended_on": None, "sectors": ["public_sector"], "languages": ["id", "ms", "th", "vi"],
    "summary": "Southeast Asian languages model built on Qwen3-32B.", "confidence": "high",
    "status": "published", "published_at": "2025-11-28T09:12:40Z", "version": 3,
    "created_at": "2025-11-26T16:02:11Z", "updated_at": "2025-11-28T09:12:40Z", "evidence": [EVIDENCE],
}
SUBMISSION = {**ADOPTION, "created_by": "carla", "reviewer": "cura", "submitted_at": "2025-11-26T16:05:03Z",
              "allowed_actions": ["retract"]}
SUBMISSION_DETAIL = {**SUBMISSION, "duplicates": [
    {"id": 9, "adopter": AI_SINGAPORE, "family": QWEN, "product_name": "Qwen-SEA-LION-v4-32B", "status": "submitted",
     "reasons": ["same adopter and family", "same source address"]},
]}
CHANGE_REQUEST = {
    "id": 5, "adoption": 17, "proposed": {"stage": "production"}, "base_version": 3,
    "comment": "In production since the launch in March.", "status": "pending", "created_by": "omar",
    "decided_by": None, "decided_at": None, "decision_comment": "", "created_at": "2026-03-20T08:30:00Z",
}
HISTORY = {
    "id": 17, "status": "published",
    "events": [{"action": "approve", "from_status": "in_review", "to_status": "published", "actor": "cura",
                "comment": "Checked against the model card.", "change_request": None,
                "created_at": "2025-11-28T09:12:40Z"}],
    "versions": [{
        "history_id": 88, "history_date": "2025-11-28T09:12:40Z", "history_type": "~", "changed_by": "cura",
        "version": 3, "status": "published", "adopter": "ai-singapore", "family": "qwen", "checkpoint": 12,
        "relation": "continued_pretraining", "stage": "production", "product_name": "Qwen-SEA-LION-v4-32B-IT",
        "product_url": "https://sea-lion.ai/", "started_on": "2025-11-01", "ended_on": None,
        "sectors": ["public_sector"], "languages": ["id", "ms", "th", "vi"],
        "summary": "Southeast Asian languages model built on Qwen3-32B.",
    }],
}
ORGANIZATION = {
    **AI_SINGAPORE, "aliases": ["AI Singapore (AISG)"], "latitude": 1.28967, "longitude": 103.85007,
    "website": "https://aisingapore.org/", "hf_handle": "aisingapore", "parent": None, "merged_into": None,
    "is_published": True, "version": 3, "created_at": "2025-06-02T10:00:00Z", "updated_at": "2025-11-28T09:12:40Z",
}
FAMILY = {
    **QWEN, "developer": {"slug": "alibaba-cloud", "name": "Alibaba Cloud", "kind": "company", "country": CHINA,
                          "city": "Hangzhou"},
    "default_license": "Apache-2.0", "first_release": "2023-08", "first_release_precision": "month",
    "hub_prefixes": ["Qwen/"], "version": 1, "created_at": "2025-06-02T10:00:00Z",
    "updated_at": "2025-06-02T10:00:00Z",
}
CHECKPOINT = {
    "id": 12, "family": QWEN, "repo_id": "Qwen/Qwen3-32B", "name": "Qwen3-32B", "parameters": 32800000000,
    "release_date": "2025-04-29", "license": "Apache-2.0", "open_weights": True, "derived_from": None, "version": 1,
    "created_at": "2025-06-02T10:00:00Z", "updated_at": "2025-06-02T10:00:00Z",
}
COUNTRY = {
    "iso2": "SG", "iso3": "SGP", "numeric": "702", "name": "Singapore", "region": "142", "subregion": "035",
    "intermediate_region": None, "region_codes": ["001", "142", "035"], "ldc": False, "lldc": False, "sids": True,
}
REGION = {"code": "035", "name": "South-eastern Asia", "level": "subregion", "parent": "142"}
TIMESERIES = {
    "interval": "year", "split": "origin_country", "unit": "adoptions", "filters": {"region": "035"},
    "as_of": None, "generated_at": "2026-11-29T10:00:00Z", "undated": 1,
    "series": [{"period": "2024", "counts": {"US": 2}, "cumulative": {"US": 2}},
               {"period": "2025", "counts": {"CN": 3, "US": 1}, "cumulative": {"CN": 3, "US": 3}}],
}

WEBHOOK = {
    "id": 3, "url": "https://hooks.example.org/registry", "filters": {"family": "qwen", "region": "035"},
    "created_at": "2026-12-01T08:00:00Z", "deliveries": "https://registry.example.org/api/v1/webhooks/3/deliveries/",
}
WEBHOOK_DELIVERY = {
    "id": 21, "event": 130, "kind": "published", "adoption": 17, "status": "delivered",
    "attempts": [
        {"at": "2025-11-28T09:12:41Z", "status_code": 503, "error": "the receiver did not accept it",
         "duration_ms": 84},
        {"at": "2025-11-28T09:12:47Z", "status_code": 200, "error": "", "duration_ms": 61},
    ],
    "created_at": "2025-11-28T09:12:41Z", "delivered_at": "2025-11-28T09:12:47Z",
}
EVIDENCE_ROW = {"adoption_id": 17, **EVIDENCE}
IMPORT_BATCH = {
    "id": 12, "dry_run": True, "rows": 500, "valid": 498,
    "errors": [{"row": 11, "field": "family", "message": "No such model family: qwem."},
               {"row": 301, "field": "new_adopter_country", "message": "No such country: XX."}],
    "duplicates": [{"row": 42, "ids": [17], "rows": []}, {"row": 87, "ids": [], "rows": [88]}],
    "created": [], "file_name": "kenya-health.csv", "format": "csv", "created_at": "2026-12-03T09:30:00Z",
}

# Schema component name -> example. Paginated lists ("PaginatedAdoptionList") wrap the item's example.
BY_COMPONENT = {
    "Adoption": ADOPTION, "Submission": SUBMISSION, "SubmissionDetail": SUBMISSION_DETAIL,
    "ImportBatch": IMPORT_BATCH,
    "ChangeRequest": CHANGE_REQUEST, "AdoptionHistory": HISTORY, "Token": {"token": "9944b09199c62bcf9418ad84"},
    "Organization": ORGANIZATION, "Family": FAMILY, "Checkpoint": CHECKPOINT, "Country": COUNTRY, "Region": REGION,
    "AdoptionTimeseries": TIMESERIES, "Webhook": WEBHOOK, "WebhookDelivery": WEBHOOK_DELIVERY,
    "EvidenceRow": EVIDENCE_ROW,
}

MAP_CSV = (
    "group_key,group_name,split_key,count,share\n"
    "SG,Singapore,US,6,0.75\nSG,Singapore,CN,1,0.125\nSG,Singapore,CH,1,0.125\n"
    "MY,Malaysia,CN,1,0.5\nMY,Malaysia,FR,1,0.5\n"
)
MAP_GEOJSON = {
    "type": "FeatureCollection", "group_by": "subregion", "split": "origin_country", "unit": "adoptions",
    "filters": {"region": "035"}, "as_of": None, "generated_at": "2026-11-29T10:00:00Z", "total": 10,
    "split_totals": {"US": 6, "CN": 2, "CH": 1, "FR": 1},
    "features": [{
        "type": "Feature", "id": "035", "geometry": {"type": "Point", "coordinates": [108.974, 8.865]},
        "properties": {"key": "035", "name": "South-eastern Asia", "total": 10,
                       "counts": {"US": 6, "CN": 2, "CH": 1, "FR": 1},
                       "shares": {"US": 0.6, "CN": 0.2, "CH": 0.1, "FR": 0.1},
                       "count_US": 6, "count_CN": 2, "count_CH": 1, "count_FR": 1,
                       "share_US": 0.6, "share_CN": 0.2, "share_CH": 0.1, "share_FR": 0.1},
    }],
}
TIMESERIES_CSV = (
    "period,split_key,count,cumulative\n2024,CN,0,0\n2024,US,2,2\n2025,CN,3,3\n2025,US,1,3\n"
    "undated,,1,\n"
)
RELEASE = {
    "version": "2026.12.0", "date": "2026-12-01", "records": 1284, "files": [
        {"name": "adoptions.csv", "url": "https://registry.example.org/data/2026.12.0/adoptions.csv",
         "sha256": "9f2c1d0e4b7a8c3e5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f7a8b9c0", "bytes": 912384},
    ],
}
# The Hub ecosystem figures (adoption.api.views.ecosystem).
HUB_SNAPSHOTS = [{"date": "2025-08-31", "models": 1860000, "edges": 912000, "malformed": 12}]
HUB_FAMILIES = [{"family": "qwen", "origin_country": "CN", "derivatives": {
    "direct": 98000, "all": 141000, "by_relation": {"finetune": 61000, "adapter": 38000, "quantized": 35000,
                                                    "merge": 7000}}, "downloads": 91000000}]
HUB_SHARES = {"snapshot": "2025-08-31", "attribution": "base_origin", "measure": "downloads", "total": 1480000000,
              "shares": {"US": 0.412, "CN": 0.171, "FR": 0.052}, "unknown": 0.365}
HUB_NEW_DERIVATIVES = {"snapshot": "2025-08-31", "interval": "month", "periods": [
    {"period": "2025-07", "total": 52000, "families": {"qwen": 17000, "llama": 9000},
     "shares": {"qwen": 0.3269, "llama": 0.1731}}], "undated": 40}
# (path, media type) -> example, for the answers that are not JSON objects of a component.
BY_MEDIA_TYPE = {
    ("/api/v1/releases/", "application/json"): [RELEASE],
    ("/api/v1/maps/adoption/", "text/csv"): MAP_CSV,
    ("/api/v1/maps/adoption/", "application/geo+json"): MAP_GEOJSON,
    ("/api/v1/maps/timeseries/", "text/csv"): TIMESERIES_CSV,
}


# The lists' exports: their JSON item's example written by the export's own renderer and columns.
EXPORTS = {"/api/v1/adoptions/": ("AdoptionSerializer", ADOPTION),
           "/api/v1/evidence/": ("EvidenceRowSerializer", EVIDENCE_ROW)}


def _export_example(path: str, media_type: str) -> str:
    from . import serializers
    from .exports import Columns
    from .renderers import ListCSVRenderer, NDJSONRenderer

    serializer_name, item = EXPORTS[path]
    renderer = ListCSVRenderer() if media_type == ListCSVRenderer.media_type else NDJSONRenderer()
    columns = Columns.of(getattr(serializers, serializer_name)())
    return b"".join(renderer.stream([[item]], columns)).decode()


def example_for(path: str, media_type: str, schema: dict):
    """The example of a response, or None: by path and media type, else by the schema component it refers to."""
    if (path, media_type) in BY_MEDIA_TYPE:
        return BY_MEDIA_TYPE[path, media_type]
    if path in EXPORTS and media_type in ("text/csv", "application/x-ndjson"):
        return _export_example(path, media_type)
    name = schema.get("$ref", "").rpartition("/")[2]
    if name in BY_COMPONENT:
        return BY_COMPONENT[name]
    if name.startswith("Paginated") and name.endswith("List") and name[9:-4] in BY_COMPONENT:
        return {"count": 1, "next": None, "previous": None, "results": [BY_COMPONENT[name[9:-4]]]}
    return None
