//! `$schema`: the XSD of the dynamic contract, with SME attributes (labels, maxLength,
//! mandatory, read-only, custom fields, relationships).

use std::fmt::Write as _;

use crate::model::{FieldType, Kind};
use crate::schema::label_of;

/// The XSD type name of a related resource the fake lists but does not serve.
fn lookup_type(lookup: &str) -> &str {
    match lookup {
        "owners" => "owner",
        "leadsources" => "leadSource",
        "users" => "user",
        "qualificationCategories" => "qualificationCategory",
        "campaigns" => "campaign",
        other => other,
    }
}

/// The whole contract schema document.
pub(crate) fn document() -> String {
    let mut out = String::with_capacity(64 * 1024);
    out.push_str(r#"<?xml version="1.0" encoding="utf-8"?>"#);
    out.push_str(
        r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns="http://schemas.sage.com/dynamic/2007" xmlns:sme="http://schemas.sage.com/sdata/sme/2007" targetNamespace="http://schemas.sage.com/dynamic/2007" elementFormDefault="qualified">"#,
    );
    let mut stubs: Vec<&str> = Vec::new();
    for kind in Kind::ALL {
        let def = kind.def();
        let _ = write!(
            out,
            r#"<xs:element name="{s}" type="{s}--type" sme:role="resourceKind" sme:pluralName="{p}" sme:label="{l}" sme:canGet="true" sme:canPost="true" sme:canPut="true" sme:canDelete="true" sme:canPagePrevious="true" sme:canPageNext="true" sme:canPageIndex="true" sme:supportsETag="true" sme:batchingMode="syncOnly"/>"#,
            s = def.schema_name,
            p = def.plural,
            l = label_of(def.name),
        );
        let _ = write!(
            out,
            r#"<xs:complexType name="{}--type"><xs:all>"#,
            def.schema_name
        );
        for f in def.fields {
            let (ty, relationship) = match f.ty {
                FieldType::String => ("xs:string".to_string(), false),
                FieldType::Int => ("xs:int".to_string(), false),
                FieldType::Decimal => ("xs:decimal".to_string(), false),
                FieldType::Boolean => ("xs:boolean".to_string(), false),
                FieldType::DateTime => ("xs:dateTime".to_string(), false),
                FieldType::Date => ("xs:date".to_string(), false),
                FieldType::Reference {
                    target: Some(t), ..
                } => (format!("{}--type", t.def().schema_name), true),
                FieldType::Reference {
                    target: None,
                    lookup,
                } => {
                    let name = lookup_type(lookup);
                    if !stubs.contains(&name) {
                        stubs.push(name);
                    }
                    (format!("{name}--type"), true)
                }
            };
            let _ = write!(
                out,
                r#"<xs:element name="{}" type="{ty}" minOccurs="0" nillable="true" sme:label="{}""#,
                f.name,
                label_of(f.name)
            );
            if let Some(max) = f.max_length {
                let _ = write!(out, r#" sme:maxLength="{max}""#);
            }
            for (on, attr) in [
                (f.mandatory, "isMandatory"),
                (f.read_only, "isReadOnly"),
                (f.custom, "isCustom"),
            ] {
                if on {
                    let _ = write!(out, r#" sme:{attr}="true""#);
                }
            }
            if relationship {
                out.push_str(r#" sme:relationship="reference""#);
            }
            out.push_str("/>");
        }
        out.push_str("</xs:all></xs:complexType>");
    }
    for name in stubs {
        let _ = write!(
            out,
            r#"<xs:complexType name="{name}--type" sme:label="{}"><xs:all/></xs:complexType>"#,
            label_of(name)
        );
    }
    out.push_str("</xs:schema>");
    out
}
