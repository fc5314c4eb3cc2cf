//! Whether a full import stays linear as the CRM grows: the same bench run imports a
//! smaller CRM first (its own fake CRM, stopped before the large one starts, so the two
//! never share the machine) and judges each large import against it.

use std::path::Path;

use crate::{
    crm::CrmKind, import_on_postgres, import_on_sqlite, procs::start_fake_crm, report::Row,
};

/// How much slower per record a larger import may be than the smaller one (issue 21:
/// a million leads in at most 11 × the time of 100,000).
const LINEAR_SLACK: f64 = 1.1;

/// Full imports of a CRM with `leads` leads: SQLite, then PostgreSQL when
/// `postgres` names a server. The rows keep the plain `2.` numbering with the size in
/// their label.
pub async fn smaller_imports(
    kind: CrmKind,
    leads: usize,
    contacts: usize,
    postgres: Option<&str>,
    bins: (&Path, &Path),
    work: &Path,
    crm_rps: u32,
) -> anyhow::Result<Vec<SmallImport>> {
    let (fake_bin, service_bin) = bins;
    let size = work.join(format!("scale-{leads}"));
    std::fs::create_dir_all(&size)?;
    eprintln!("2. full import of the smaller CRM ({leads} leads)");
    let (crm, admin) =
        start_fake_crm(fake_bin, kind, leads, contacts, &size.join("fake-crm.log")).await?;
    let mut imports = Vec::new();
    let label = format!("SQLite, {leads} leads");
    let row = import_on_sqlite(service_bin, &admin, &size, crm_rps, &label).await?;
    imports.push(SmallImport {
        store: "SQLite",
        leads,
        row,
    });
    if let Some(pg) = postgres {
        let label = format!("PostgreSQL, {leads} leads");
        let row = import_on_postgres(pg, service_bin, &admin, &size, crm_rps, &label).await?;
        imports.push(SmallImport {
            store: "PostgreSQL",
            leads,
            row,
        });
    }
    crm.stop().await;
    Ok(imports)
}

/// A full import of the smaller CRM, the yardstick of one store's large import.
#[derive(Debug)]
pub struct SmallImport {
    /// `SQLite` or `PostgreSQL`: the large import it is compared with.
    pub store: &'static str,
    /// Leads the smaller CRM held.
    pub leads: usize,
    /// Its row.
    pub row: Row,
}

/// Judges `large` (a full import of `leads` leads on `small.store`) against the smaller
/// import: at most [`LINEAR_SLACK`] × the size ratio × its time.
pub fn judge_linear(large: &mut Row, leads: usize, small: &SmallImport) {
    let (Some(big), Some(little)) = (large.seconds, small.row.seconds) else {
        return;
    };
    let times = leads as f64 / small.leads as f64;
    let allowed = LINEAR_SLACK * times;
    let ratio = big / little;
    large.target(
        format!(
            "full import ({}) of {leads} leads ≤ {allowed:.1} × the {}-lead import",
            small.store, small.leads
        ),
        format!("{ratio:.2} × ({big:.1} s vs {little:.1} s)"),
        ratio <= allowed,
    );
}
