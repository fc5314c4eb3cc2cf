//! Reads in both formats: routing, auth, Atom shape, JSON shape, single resources.
mod common;

use common::*;
use reqwest::header;

#[tokio::test]
async fn json_feed_needs_basic_auth_and_challenges_without_it() {
    let h = with_leads(20).await;
    let resp = send(h.client.get(h.url("leads?format=json&count=10"))).await;
    assert_eq!(resp.status(), 401);
    let challenge = resp
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok());
    assert_eq!(challenge, Some("Basic realm=\"SalesLogix\""));
    let body = body_json(resp).await;
    assert!(body.is_array(), "JSON errors are a top-level array: {body}");

    let resp = send(
        h.client
            .get(h.url("leads?format=json"))
            .header("X-Authorization-Mode", "no-challenge"),
    )
    .await;
    assert_eq!(resp.status(), 401);
    assert!(resp.headers().get(header::WWW_AUTHENTICATE).is_none());

    let resp = send(
        h.client
            .get(h.url("leads?format=json"))
            .basic_auth("admin", Some("wrong")),
    )
    .await;
    assert_eq!(resp.status(), 401);

    let token = "Basic YWRtaW46cGFzc3dvcmQ="; // admin:password
    let resp = send(
        h.client
            .get(h.url("leads?format=json&count=10"))
            .header("X-Authorization", token),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let feed = body_json(resp).await;
    assert_eq!(resources(&feed).len(), 10);
    assert_eq!(feed["$totalResults"], 20);
    h.crm.shutdown().await;
}

#[tokio::test]
async fn atom_401_challenges_unless_no_challenge_is_asked_for() {
    let h = with_leads(2).await;
    let resp = send(h.client.get(h.url("leads"))).await;
    assert_eq!(resp.status(), 401);
    let challenge = resp
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    assert_eq!(challenge.as_deref(), Some("Basic realm=\"SalesLogix\""));
    let xml = atom::parse(&text(resp).await);
    assert!(xml.is(atom::SDATA, "diagnoses"), "an XML error body");

    for bad in [None, Some("wrong")] {
        let mut req = h
            .client
            .get(h.url("leads"))
            .header("X-Authorization-Mode", "no-challenge");
        if let Some(pw) = bad {
            req = req.header(
                "X-Authorization",
                format!("Basic {}", b64(&format!("admin:{pw}"))),
            );
        }
        let resp = send(req).await;
        assert_eq!(resp.status(), 401, "{bad:?}");
        assert!(
            resp.headers().get(header::WWW_AUTHENTICATE).is_none(),
            "no challenge for {bad:?}"
        );
        let ct = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert!(ct.starts_with("application/xml"), "{ct}");
        let xml = atom::parse(&text(resp).await);
        let code = xml
            .child(atom::SDATA, "diagnosis")
            .and_then(|d| d.text_of(atom::SDATA, "sdataCode"));
        assert_eq!(code.as_deref(), Some("ApplicationDiagnosis"));
    }
    h.crm.shutdown().await;
}

fn b64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[tokio::test]
async fn routing_decodes_percent_escapes_and_ignores_kind_case() {
    let h = with_leads(5).await;
    let Some(lead) = h
        .crm
        .state()
        .records(infor_crm_fake::Kind::Lead)
        .into_iter()
        .next()
    else {
        panic!("seeded leads");
    };
    for path in [
        format!("leads('{}')", lead.key),
        format!("LEADS('{}')", lead.key),
        format!("Leads%28%27{}%27%29", lead.key),
    ] {
        let json = h.json(&format!("{path}?format=json")).await;
        assert_eq!(json["$key"], lead.key.as_str(), "{path}");
        let xml = atom::parse(&h.atom(&path).await);
        assert!(xml.is(atom::ATOM, "entry"), "{path}");
    }
    let resp = send(h.get("leads('QNOPE0000000')?format=json")).await;
    assert_eq!(resp.status(), 404);
    let resp = send(h.get("widgets")).await;
    assert_eq!(resp.status(), 404);
    let body = text(resp).await;
    assert!(body.contains("ResourceKindNotFound"), "{body}");
    // %24batch reaches the batch handler (an empty feed is a valid, empty batch).
    let empty = format!(r#"<feed xmlns="{}"/>"#, atom::ATOM);
    let resp = send(
        h.post("leads/%24batch")
            .header("Content-Type", "application/atom+xml")
            .body(empty),
    )
    .await;
    assert_eq!(resp.status(), 200);
    h.crm.shutdown().await;
}

#[tokio::test]
async fn atom_feeds_have_sdata_namespaces_keys_etags_nils_and_updated() {
    let h = with_leads(3).await;
    let state = h.crm.state();
    let xml = h.atom("leads?orderBy=Id").await;
    assert!(xml.contains(r#"xmlns:slx="http://schemas.sage.com/dynamic/2007""#));
    let feed = atom::parse(&xml);
    assert!(feed.is(atom::ATOM, "feed"));
    assert_eq!(
        feed.text_of(atom::OPENSEARCH, "totalResults").as_deref(),
        Some("3")
    );
    let entries = feed.all(atom::ATOM, "entry");
    assert_eq!(entries.len(), 3);
    for entry in entries {
        let Some(payload) = entry.payload() else {
            panic!("payload")
        };
        assert!(payload.is(atom::SLX, "Lead"));
        let Some(key) = payload.attr(atom::SDATA, "key") else {
            panic!("sdata:key")
        };
        let Some(rec) = state.record(infor_crm_fake::Kind::Lead, key) else {
            panic!("record {key}")
        };
        assert_eq!(
            payload.attr(atom::SDATA, "uri"),
            Some(h.url(&format!("leads('{key}')")).as_str())
        );
        assert_eq!(entry.text_of(atom::HTTP, "etag"), Some(rec.etag.clone()));
        let updated = rec
            .modify_date
            .format("%Y-%m-%dT%H:%M:%S+00:00")
            .to_string();
        assert_eq!(entry.text_of(atom::ATOM, "updated"), Some(updated.clone()));
        let f = atom::fields(entry);
        assert_eq!(f.get("ModifyDate"), Some(&Some(updated)));
        assert_eq!(
            f.get("MiddleName"),
            Some(&None),
            "nulls are xsi:nil, never omitted"
        );
        assert_eq!(
            f.get("Email").cloned().flatten().as_deref(),
            rec.text("Email")
        );
        let Some(owner) = payload.child(atom::SLX, "Owner") else {
            panic!("Owner")
        };
        assert_eq!(owner.attr(atom::SDATA, "key"), Some("SYST00000001"));
    }
    h.crm.shutdown().await;
}

#[tokio::test]
async fn json_by_format_or_accept_header_with_protocol_keys_and_references() {
    let h = with_leads(3).await;
    let by_format = h.json("leads?format=json").await;
    let resp = send(h.get("leads").header("Accept", "application/json")).await;
    assert_eq!(resp.status(), 200);
    let by_accept = body_json(resp).await;
    assert_eq!(by_format["$resources"], by_accept["$resources"]);
    for key in [
        "$totalResults",
        "$startIndex",
        "$itemsPerPage",
        "$url",
        "$resources",
    ] {
        assert!(!by_format[key].is_null(), "{key} missing");
    }
    for entry in resources(&by_format) {
        for key in ["$key", "$etag", "$descriptor", "$url"] {
            assert!(entry[key].is_string(), "{key} missing in {entry}");
        }
        assert!(entry["Owner"]["$key"].is_string());
        assert!(entry["Address"]["$key"].is_string());
        assert!(
            entry["ModifyDate"]
                .as_str()
                .is_some_and(|d| d.starts_with("/Date("))
        );
    }
    let Some(first) = resources(&by_format).into_iter().next() else {
        panic!("an entry")
    };
    let Some(key) = first["$key"].as_str() else {
        panic!("key")
    };
    let single = h.json(&format!("leads('{key}')?format=json")).await;
    assert_eq!(single["$key"], key, "a single GET returns the bare entry");
    h.crm.shutdown().await;
}

#[tokio::test]
async fn contacts_have_three_emails_and_leads_one() {
    let h = with_leads(40).await;
    let schema = text(send(h.get("$schema")).await).await;
    let doc = atom::parse(&schema);
    let contact = doc
        .children
        .iter()
        .find(|c| c.name == "complexType" && c.attr("", "name") == Some("contact--type"));
    let Some(contact) = contact else {
        panic!("contact--type")
    };
    let names: Vec<_> = contact.children[0]
        .children
        .iter()
        .filter_map(|e| e.attr("", "name"))
        .collect();
    for f in ["Email", "SecondaryEmail", "Email3"] {
        assert!(names.contains(&f), "{f}");
    }
    let json = h
        .json("contacts?format=json&where=SecondaryEmail ne null&count=1")
        .await;
    assert!(json["$resources"][0]["SecondaryEmail"].is_string());
    let lead = h.json("leads?format=json&count=1").await;
    assert!(lead["$resources"][0].get("SecondaryEmail").is_none());

    // An Atom contacts feed carries all three, nil when empty; an Atom lead has one.
    let state = h.crm.state();
    let fields = serde_json::json!({"LastName": "Tri", "Email": "tri@work.com",
        "SecondaryEmail": "tri@home.org", "Email3": "TRI@Other.net"});
    let Some(obj) = fields.as_object() else {
        panic!("object")
    };
    if let Err(e) = state.insert_record(infor_crm_fake::Kind::Contact, obj) {
        panic!("insert: {e}");
    }
    let xml = atom::parse(&h.atom("contacts?where=LastName%20eq%20'Tri'").await);
    let entries = xml.all(atom::ATOM, "entry");
    assert_eq!(entries.len(), 1);
    let f = atom::fields(entries[0]);
    assert_eq!(f.get("Email"), Some(&Some("tri@work.com".into())));
    assert_eq!(f.get("SecondaryEmail"), Some(&Some("tri@home.org".into())));
    assert_eq!(f.get("Email3"), Some(&Some("TRI@Other.net".into())));
    let xml = atom::parse(&h.atom("contacts?where=Email3%20eq%20null&count=1").await);
    let entries = xml.all(atom::ATOM, "entry");
    let f = entries.first().map(|e| atom::fields(e)).unwrap_or_default();
    assert_eq!(f.get("Email3"), Some(&None), "xsi:nil, not omitted");
    assert!(f.contains_key("SecondaryEmail"));
    let xml = atom::parse(&h.atom("leads?count=1").await);
    let entries = xml.all(atom::ATOM, "entry");
    let f = entries.first().map(|e| atom::fields(e)).unwrap_or_default();
    assert!(f.contains_key("Email"));
    assert!(!f.contains_key("SecondaryEmail") && !f.contains_key("Email3"));
    h.crm.shutdown().await;
}

#[tokio::test]
async fn get_current_user_in_json_and_atom() {
    let h = with_leads(0).await;
    let url = format!("{}/sdata/slx/system/-/$service/getCurrentUser", h.base);
    let resp = send(
        h.client
            .post(&url)
            .basic_auth("admin", Some("password"))
            .header("Accept", "application/json")
            .json(&serde_json::json!({})),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let body = body_json(resp).await;
    assert_eq!(body["response"]["userId"], "ADMIN       ");
    assert_eq!(body["response"]["userName"], "admin");
    let resp = send(
        h.client
            .post(&url)
            .basic_auth("admin", Some("password"))
            .body(""),
    )
    .await;
    let xml = atom::parse(&text(resp).await);
    let Some(payload) = xml.payload() else {
        panic!("payload")
    };
    assert_eq!(
        payload
            .child(atom::SLX, "response")
            .and_then(|r| r.text_of(atom::SLX, "userId"))
            .as_deref(),
        Some("ADMIN       ")
    );
    let resp = send(h.client.post(&url).json(&serde_json::json!({}))).await;
    assert_eq!(resp.status(), 401);
    h.crm.shutdown().await;
}

#[tokio::test]
async fn template_and_schema() {
    let h = with_leads(0).await;
    let t = h.json("history/$template?format=json").await;
    assert_eq!(t["Type"], "atNote");
    assert!(t.get("$key").is_none());
    let xml = atom::parse(&h.atom("leads/$template").await);
    assert_eq!(
        atom::fields(&xml).get("DoNotEmail"),
        Some(&Some("false".into()))
    );

    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build();
    let Ok(no_redirect) = no_redirect else {
        panic!("client")
    };
    let resp = send(
        no_redirect
            .get(h.url("leads/$schema"))
            .basic_auth("admin", Some("password")),
    )
    .await;
    assert_eq!(resp.status(), 302);
    let loc = resp
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    assert_eq!(loc, Some(h.url("$schema?version=1#lead")));
    let xsd = h.atom("$schema").await;
    assert!(xsd.contains(r#"<xs:element name="lead" type="lead--type" sme:role="resourceKind" sme:pluralName="leads""#));
    assert!(xsd.contains(r#"<xs:element name="LastName" type="xs:string" minOccurs="0" nillable="true" sme:label="Last Name" sme:maxLength="32" sme:isMandatory="true"/>"#));
    assert!(xsd.contains(r#"name="LeadScore" type="xs:int" minOccurs="0" nillable="true" sme:label="Lead Score" sme:isCustom="true"/>"#));
    assert!(xsd.contains(r#"name="Address" type="leadAddress--type" minOccurs="0" nillable="true" sme:label="Address" sme:relationship="reference"/>"#));
    assert!(xsd.contains(r#"xmlns:sme="http://schemas.sage.com/sdata/sme/2007""#));
    h.crm.shutdown().await;
}
