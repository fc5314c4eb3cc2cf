//! The `$schema` XSD, turned into listbridge field definitions.
//!
//! Per entity the XSD has `<xs:element name="lead" type="lead--type" sme:pluralName="leads"/>`
//! and a `<xs:complexType name="lead--type">` listing properties with `sme:` attributes.
//! A related single record (`Address`, `sme:relationship="reference"`) whose type is
//! described in the same schema is flattened to `Address.City` etc.; one whose type is not
//! described becomes a [`FieldType::Reference`] holding the related key.

use std::collections::HashMap;

use listbridge_connector::{FieldDef, FieldType};

use crate::xml::{self, Element, NS_SME, NS_XS, XmlError};

/// The described fields of one entity, with a lookup by name.
#[derive(Debug, Clone, Default)]
pub(crate) struct EntitySchema {
    /// In schema order.
    pub fields: Vec<FieldDef>,
    by_name: HashMap<String, usize>,
}

impl EntitySchema {
    /// Builds the lookup.
    pub fn new(fields: Vec<FieldDef>) -> EntitySchema {
        let by_name = fields
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name.to_ascii_lowercase(), i))
            .collect();
        EntitySchema { fields, by_name }
    }

    /// A field by name, case-insensitively (SData matches names case-insensitively).
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.by_name
            .get(&name.to_ascii_lowercase())
            .map(|&i| &self.fields[i])
    }

    /// The declared type of a field, if known.
    pub fn type_of(&self, name: &str) -> Option<FieldType> {
        self.field(name).map(|f| f.field_type)
    }
}

/// Extracts the fields of the entity whose plural (resource kind) or element name matches.
pub(crate) fn parse(
    body: &str,
    resource_kind: &str,
    element_name: &str,
) -> Result<EntitySchema, XmlError> {
    let root = xml::parse(body)?;
    if !root.is(NS_XS, "schema") {
        return Err(XmlError::new(format!(
            "expected an XML schema, found <{}>",
            root.local
        )));
    }
    let entity = root
        .children_named(NS_XS, "element")
        .find(|e| {
            e.attr(NS_SME, "pluralName")
                .is_some_and(|p| p.eq_ignore_ascii_case(resource_kind))
                || e.plain_attr("name")
                    .is_some_and(|n| n.eq_ignore_ascii_case(element_name))
        })
        .ok_or_else(|| XmlError::new(format!("the schema does not describe {resource_kind}")))?;
    let type_name = entity
        .plain_attr("type")
        .map(local_part)
        .unwrap_or_default();
    let complex = complex_type(&root, type_name).ok_or_else(|| {
        XmlError::new(format!(
            "the schema has no type {type_name} for {resource_kind}"
        ))
    })?;
    let mut fields = Vec::new();
    for property in properties(complex) {
        let Some(name) = property.plain_attr("name") else {
            continue;
        };
        if is_collection(property) {
            continue;
        }
        let property_type = property
            .plain_attr("type")
            .map(local_part)
            .unwrap_or("string");
        match (
            property.attr(NS_SME, "relationship"),
            complex_type(&root, property_type),
        ) {
            (_, Some(related)) => {
                for child in properties(related).filter(|c| !is_collection(c)) {
                    let child_type = child.plain_attr("type").map(local_part).unwrap_or("string");
                    if complex_type(&root, child_type).is_some() {
                        continue;
                    }
                    if let Some(child_name) = child.plain_attr("name") {
                        fields.push(field_def(
                            format!("{name}.{child_name}"),
                            child,
                            simple_type(child_type),
                        ));
                    }
                }
            }
            (Some(_), None) => {
                fields.push(field_def(name.to_string(), property, FieldType::Reference))
            }
            (None, None) => fields.push(field_def(
                name.to_string(),
                property,
                simple_type(property_type),
            )),
        }
    }
    Ok(EntitySchema::new(fields))
}

fn complex_type<'a>(root: &'a Element, name: &str) -> Option<&'a Element> {
    root.children_named(NS_XS, "complexType")
        .find(|t| t.plain_attr("name") == Some(name))
}

/// The property elements of a complex type (`xs:all` or `xs:sequence`).
fn properties(complex: &Element) -> impl Iterator<Item = &Element> {
    complex
        .children
        .iter()
        .filter(|group| group.is(NS_XS, "all") || group.is(NS_XS, "sequence"))
        .flat_map(|group| group.children_named(NS_XS, "element"))
}

fn is_collection(property: &Element) -> bool {
    property
        .plain_attr("maxOccurs")
        .is_some_and(|m| m != "1" && m != "0")
        || property
            .attr(NS_SME, "relationship")
            .is_some_and(|r| r.eq_ignore_ascii_case("child"))
        || property
            .plain_attr("type")
            .is_some_and(|t| t.ends_with("--list"))
}

fn local_part(qualified: &str) -> &str {
    qualified.rsplit(':').next().unwrap_or(qualified)
}

fn simple_type(xs_type: &str) -> FieldType {
    match xs_type {
        "int" | "integer" | "long" | "short" | "byte" | "unsignedInt" | "unsignedLong"
        | "unsignedShort" => FieldType::Integer,
        "decimal" | "double" | "float" => FieldType::Decimal,
        "boolean" => FieldType::Boolean,
        "dateTime" => FieldType::DateTime,
        "date" => FieldType::Date,
        _ => FieldType::Text,
    }
}

fn field_def(name: String, property: &Element, field_type: FieldType) -> FieldDef {
    let flag = |attr: &str| {
        property
            .attr(NS_SME, attr)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    };
    FieldDef {
        label: property
            .attr(NS_SME, "label")
            .map(str::to_string)
            .unwrap_or_else(|| name.clone()),
        name,
        field_type,
        max_length: property
            .attr(NS_SME, "maxLength")
            .and_then(|m| m.trim().parse().ok())
            .filter(|m| *m > 0),
        required: flag("isMandatory"),
        read_only: flag("isReadOnly"),
        custom: flag("isCustom"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const XSD: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns="http://schemas.sage.com/dynamic/2007"
   targetNamespace="http://schemas.sage.com/dynamic/2007" xmlns:sme="http://schemas.sage.com/sdata/sme/2007">
  <xs:element name="lead" type="lead--type" sme:role="resourceKind" sme:pluralName="leads" sme:label="Lead"/>
  <xs:complexType name="lead--type"><xs:all>
    <xs:element name="FirstName" type="xs:string" minOccurs="0" nillable="true" sme:label="First Name" sme:maxLength="32"/>
    <xs:element name="LastName" type="xs:string" minOccurs="0" nillable="true" sme:label="Last Name" sme:maxLength="32" sme:isMandatory="true"/>
    <xs:element name="ModifyDate" type="xs:dateTime" minOccurs="0" nillable="true" sme:label="Modify Date" sme:isReadOnly="true"/>
    <xs:element name="LeadScore" type="xs:int" minOccurs="0" nillable="true" sme:label="Lead Score" sme:isCustom="true"/>
    <xs:element name="Newsletter" type="xs:boolean" minOccurs="0" nillable="true" sme:isCustom="true"/>
    <xs:element name="Revenue" type="xs:decimal" minOccurs="0" nillable="true"/>
    <xs:element name="BirthDate" type="xs:date" minOccurs="0" nillable="true"/>
    <xs:element name="Owner" type="owner--type" minOccurs="0" nillable="true" sme:relationship="reference"/>
    <xs:element name="Address" type="leadAddress--type" minOccurs="0" nillable="true" sme:relationship="reference"/>
    <xs:element name="Addresses" type="leadAddress--list" minOccurs="0" sme:relationship="child"/>
  </xs:all></xs:complexType>
  <xs:element name="leadAddress" type="leadAddress--type" sme:role="resourceKind" sme:pluralName="leadAddresses"/>
  <xs:complexType name="leadAddress--type"><xs:all>
    <xs:element name="City" type="xs:string" minOccurs="0" nillable="true" sme:label="City" sme:maxLength="32"/>
    <xs:element name="PostalCode" type="xs:string" minOccurs="0" nillable="true" sme:maxLength="24"/>
  </xs:all></xs:complexType>
</xs:schema>"#;

    #[test]
    fn lead_fields_with_flags_types_and_flattened_address() {
        let schema = parse(XSD, "leads", "lead").unwrap_or_default();
        let names: Vec<_> = schema.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "FirstName",
                "LastName",
                "ModifyDate",
                "LeadScore",
                "Newsletter",
                "Revenue",
                "BirthDate",
                "Owner",
                "Address.City",
                "Address.PostalCode"
            ]
        );
        let first = schema
            .field("firstname")
            .cloned()
            .unwrap_or_else(|| panic!("FirstName"));
        assert_eq!(
            (first.label.as_str(), first.max_length, first.required),
            ("First Name", Some(32), false)
        );
        assert!(schema.field("LastName").is_some_and(|f| f.required));
        assert!(
            schema
                .field("ModifyDate")
                .is_some_and(|f| f.read_only && f.field_type == FieldType::DateTime)
        );
        assert!(
            schema
                .field("LeadScore")
                .is_some_and(|f| f.custom && f.field_type == FieldType::Integer)
        );
        assert_eq!(schema.type_of("Newsletter"), Some(FieldType::Boolean));
        assert_eq!(schema.type_of("Revenue"), Some(FieldType::Decimal));
        assert_eq!(schema.type_of("BirthDate"), Some(FieldType::Date));
        assert_eq!(schema.type_of("Owner"), Some(FieldType::Reference));
        assert_eq!(
            schema.field("Address.City").and_then(|f| f.max_length),
            Some(32)
        );
        assert_eq!(
            schema.field("Address.City").map(|f| f.label.as_str()),
            Some("City")
        );
    }

    #[test]
    fn unknown_entity_and_non_schema() {
        assert!(parse(XSD, "contacts", "contact").is_err());
        assert!(parse("<html/>", "leads", "lead").is_err());
    }
}
