//! What needs no application: health, the service catalog, OpenAPI, docs.

use crate::helpers::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;

async fn health(app: &TestApp) {
    let r = read(app.client.get(app.url("/healthz")).send().await.unwrap()).await;
    r.expect(200);
    assert_eq!(r.body, json!({"status": "ok"}));
}

async fn services(app: &TestApp) {
    // No login needed.
    let r = read(
        app.client
            .get(app.url("/api/v1/services"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.expect(200);
    let list = r.body.as_array().unwrap();
    let codes: Vec<&str> = list.iter().map(|s| s["code"].as_str().unwrap()).collect();
    assert_eq!(codes.len(), 3);
    for code in [
        "meeting-permission",
        "foster-care-payment",
        "adoption-payment",
    ] {
        assert!(codes.contains(&code), "{codes:?}");
    }
    let by = |code: &str| list.iter().find(|s| s["code"] == code).unwrap().clone();
    for s in list {
        for lang in ["kk", "ru", "en"] {
            assert!(
                s["name"][lang].as_str().is_some_and(|n| !n.is_empty()),
                "{s}"
            );
        }
        let steps: Vec<&str> = s["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|st| st["code"].as_str().unwrap())
            .collect();
        assert_eq!(steps, ["register", "resolution", "review", "sign", "issue"]);
        assert_eq!(
            s["form"]["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        assert_eq!(s["form"]["type"], "object");
        for k in ["act", "date", "version"] {
            assert!(
                s["regulation"][k].as_str().is_some_and(|v| !v.is_empty()),
                "{s}"
            );
        }
        for d in s["documents"].as_array().unwrap() {
            assert!(d["code"].is_string() && d["required"].is_boolean(), "{d}");
            assert!(d["name"]["en"].is_string(), "{d}");
        }
        assert!(!s["refusal_grounds"].as_array().unwrap().is_empty());
    }
    let a = by("meeting-permission");
    assert_eq!(a["channels"], json!(["office", "state-corporation"]));
    assert_eq!(a["regulation"]["version"], "2018-20-02");
    let limits: Vec<Value> = a["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["limit"].clone())
        .collect();
    assert_eq!(
        limits,
        [
            json!({"minutes": 15}),
            json!({"minutes": 30}),
            json!({"working_days": 2}),
            json!({"minutes": 30}),
            json!({"calendar_days": 1})
        ]
    );
    let roles: Vec<&str> = a["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["clerk", "head", "specialist", "head", "clerk"]);
    assert_eq!(a["steps"][4]["roles"]["state-corporation"], "operator");
    let docs: Vec<(&str, bool)> = a["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap(),
                d["required"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        docs,
        [
            ("application", true),
            ("identity-document", true),
            ("supporting-certificates", true)
        ]
    );
    let grounds: Vec<&str> = a["refusal_grounds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        grounds,
        [
            "incomplete-package",
            "expired-documents",
            "documents-violation",
            "standard-item-10"
        ]
    );
    let b = by("foster-care-payment");
    assert_eq!(b["channels"], json!(["office", "portal"]));
    assert_eq!(b["steps"][2]["limit"], json!({"working_days": 3}));
    let c = by("adoption-payment");
    assert_eq!(c["channels"], json!(["office", "portal"]));
    assert_eq!(c["steps"][2]["limit"], json!({"working_days": 5}));
    assert_eq!(c["form"]["properties"]["children"]["minItems"], 1);
}

/// The `/api/v1` routes of `qyzmet_web::router`, with their methods.
const ROUTES: &[(&str, &[&str])] = &[
    ("/api/v1/auth/login", &["post"]),
    ("/api/v1/auth/logout", &["post"]),
    ("/api/v1/services", &["get"]),
    ("/api/v1/applications", &["get", "post"]),
    ("/api/v1/applications/{id}", &["get"]),
    ("/api/v1/applications/{id}/actions", &["post"]),
    ("/api/v1/applications/{id}/events", &["get"]),
    ("/api/v1/registry/persons/{iin}", &["get"]),
    ("/api/v1/registry/powers-of-attorney/{number}", &["get"]),
    ("/api/v1/applications/{id}/signature", &["post"]),
    ("/api/v1/applications/{id}/audit", &["get"]),
    ("/api/v1/admin/users", &["get", "post"]),
    ("/api/v1/admin/users/{username}/disable", &["post"]),
    ("/api/v1/admin/users/{username}/enable", &["post"]),
    ("/api/v1/admin/users/{username}/password", &["post"]),
    ("/api/v1/admin/providers", &["get"]),
    ("/api/v1/admin/versions", &["get"]),
    ("/api/v1/admin/versions/end", &["post"]),
    ("/api/v1/admin/calendar", &["get", "post"]),
    ("/api/v1/admin/calendar/recompute", &["post"]),
    ("/api/v1/admin/outbox/dead", &["get"]),
    ("/api/v1/admin/outbox/dead/{id}/retry", &["post"]),
    ("/api/v1/admin/audit", &["get"]),
    ("/api/v1/admin/stats/load", &["get"]),
    ("/api/v1/admin/stats/times", &["get"]),
    ("/api/v1/admin/applications/by-number/{number}", &["get"]),
    ("/api/v1/staff/specialists", &["get"]),
    ("/api/v1/documents/{code}", &["get"]),
    ("/api/v1/documents/{code}/seal", &["get"]),
    ("/api/v1/verify/{code}", &["get"]),
];

async fn openapi(app: &TestApp) {
    let r = read(
        app.client
            .get(app.url("/api/openapi.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.expect(200);
    let doc = &r.body;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().unwrap();
    let listed: BTreeSet<&str> = paths
        .keys()
        .map(String::as_str)
        .filter(|p| p.starts_with("/api/v1"))
        .collect();
    let routed: BTreeSet<&str> = ROUTES.iter().map(|(p, _)| *p).collect();
    assert_eq!(listed, routed);
    for (path, methods) in ROUTES {
        let ops: BTreeSet<&str> = paths[*path]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .filter(|k| ["get", "post", "put", "patch", "delete"].contains(k))
            .collect();
        assert_eq!(ops, methods.iter().copied().collect(), "{path}");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    // What the document lists is served: an unauthenticated call to each
    // route is answered by it (401 or 200), not by the fallback 404.
    let id = "00000000-0000-4000-8000-000000000000";
    for (path, methods) in ROUTES {
        // Public, so its answer to a code that does not exist is the 404
        // (documents.rs tests it).
        if path.starts_with("/api/v1/verify/") {
            continue;
        }
        let url = app.url(&path.replace("{id}", id));
        for m in *methods {
            let req = match *m {
                "get" => app.client.get(&url),
                _ => app.client.post(&url).json(&json!({})),
            };
            let res = req.send().await.unwrap();
            assert_ne!(res.status().as_u16(), 404, "{m} {path}");
            assert_ne!(res.status().as_u16(), 405, "{m} {path}");
        }
    }
}

async fn swagger_ui_is_self_contained(app: &TestApp) {
    let r = read(app.client.get(app.url("/api/docs/")).send().await.unwrap()).await;
    r.expect(200);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert!(r.text.contains("swagger"), "{}", r.text);
    let mut bodies = vec![r.text.clone()];
    // The scripts and styles it loads come from here too.
    for piece in [
        "swagger-initializer.js",
        "swagger-ui.css",
        "swagger-ui-bundle.js",
    ] {
        if r.text.contains(piece) {
            let res = app
                .client
                .get(app.url(&format!("/api/docs/{piece}")))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status().as_u16(), 200, "{piece}");
            if piece.ends_with("initializer.js") {
                bodies.push(res.text().await.unwrap());
            }
        }
    }
    for text in &bodies {
        for scheme in ["http://", "https://", "src=\"//", "href=\"//"] {
            if let Some(i) = text.find(scheme) {
                let rest = &text[i..(i + 60).min(text.len())];
                panic!("an external link in the docs: {rest}");
            }
        }
    }
    // The docs point at our OpenAPI document.
    assert!(bodies.iter().any(|b| b.contains("/api/openapi.json")));
}

crate::on_both_backends!(health, services, openapi, swagger_ui_is_self_contained);
