//! What the demo prints once it is set up: the key, the URLs, commands to paste, and
//! where the data lives.

use std::fmt;

/// Everything the demo set up, printed by its `Display`.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    /// `http://127.0.0.1:8080`.
    pub api_url: String,
    /// The demo account's name.
    pub account: String,
    /// The demo account's new API key (a demo secret, printed on purpose).
    pub api_key: String,
    /// The fake CRM's base URL.
    pub crm_url: String,
    /// The fake CRM's login.
    pub crm_user: String,
    /// The fake CRM's password (a demo value).
    pub crm_password: String,
    /// The database the service uses.
    pub database_url: String,
    /// The imported lead list (push/pull sync set up).
    pub leads_list: String,
    /// The uploaded list pushed as new leads.
    pub signups_list: String,
    /// The first sync run of the lead list.
    pub sync_run: String,
    /// The demo web form.
    pub form: DemoForm,
    /// The console admin's sign-in email.
    pub console_email: String,
    /// The console admin's password (a demo secret, new on every start, printed on purpose).
    pub console_password: String,
}

/// The web form the demo made.
#[derive(Debug, Clone)]
pub struct DemoForm {
    /// Its id (for `/v1/forms/{id}/submissions`).
    pub id: String,
    /// Where submissions are posted: `/f/{form_key}`.
    pub submit_path: String,
}

impl DemoSummary {
    /// Where the data lives, in words.
    fn data_location(&self) -> String {
        match sqlite_file(&self.database_url) {
            Some(file) => format!(
                "SQLite file {file} (CRM passwords encrypted with the key in the .key file beside it); \
                 delete both to start afresh"
            ),
            None => format!(
                "{} (the database URL given)",
                crate::domain::redact::redact_url(&self.database_url)
            ),
        }
    }
}

/// The file of a `sqlite://FILE?…` URL.
fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite://")?;
    Some(rest.split('?').next().unwrap_or(rest))
}

impl fmt::Display for DemoSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            api_url,
            api_key,
            crm_url,
            leads_list,
            sync_run,
            ..
        } = self;
        writeln!(f)?;
        writeln!(f, "listbridge demo is ready.")?;
        writeln!(f)?;
        writeln!(f, "  console       {api_url}/  (sign in below)")?;
        writeln!(f, "  sign in as    {}", self.console_email)?;
        writeln!(f, "  password      {}", self.console_password)?;
        writeln!(f, "  account       {}", self.account)?;
        writeln!(f, "  API key       {api_key}")?;
        writeln!(f, "  API           {api_url}/v1")?;
        writeln!(f, "  OpenAPI       {api_url}/openapi.json")?;
        writeln!(
            f,
            "  fake CRM      {crm_url}/sdata/slx/dynamic/-/leads (user {}, password {})",
            self.crm_user, self.crm_password
        )?;
        writeln!(f, "  CRM admin     {crm_url}/_admin/stats")?;
        writeln!(f, "  data          {}", self.data_location())?;
        writeln!(
            f,
            "                the fake CRM keeps its records in memory: they reset on every start"
        )?;
        writeln!(f)?;
        writeln!(f, "Try it (paste into a shell):")?;
        writeln!(f)?;
        writeln!(
            f,
            "  export LB={api_url} LB_KEY={api_key} LIST={leads_list} CRM={crm_url}"
        )?;
        writeln!(f, "  # the lists and their member counts")?;
        writeln!(
            f,
            "  curl -s -H \"Authorization: Bearer $LB_KEY\" $LB/v1/lists"
        )?;
        writeln!(f, "  # members of the imported lead list")?;
        writeln!(
            f,
            "  curl -s -H \"Authorization: Bearer $LB_KEY\" \"$LB/v1/lists/$LIST/members?limit=5\""
        )?;
        writeln!(f, "  # the report of the first sync, and its records")?;
        writeln!(
            f,
            "  curl -s -H \"Authorization: Bearer $LB_KEY\" $LB/v1/runs/{sync_run}"
        )?;
        writeln!(
            f,
            "  curl -s -H \"Authorization: Bearer $LB_KEY\" $LB/v1/runs/{sync_run}/records"
        )?;
        writeln!(
            f,
            "  # change 10 leads in the CRM, then a dry run and (once it has ended) Run Now"
        )?;
        writeln!(
            f,
            "  curl -s -X POST $CRM/_admin/update -H 'Content-Type: application/json' -d '{{\"kind\":\"leads\",\"count\":10,\"set\":{{\"Title\":\"CTO\"}}}}'"
        )?;
        writeln!(
            f,
            "  curl -s -X POST -H \"Authorization: Bearer $LB_KEY\" -H 'Content-Type: application/json' -d '{{\"dry_run\":true}}' $LB/v1/lists/$LIST/runs"
        )?;
        writeln!(
            f,
            "  curl -s -X POST -H \"Authorization: Bearer $LB_KEY\" -H 'Content-Type: application/json' -d '{{\"dry_run\":false}}' $LB/v1/lists/$LIST/runs"
        )?;
        writeln!(
            f,
            "  # the run history of the list (read a report with /v1/runs/RUN_ID)"
        )?;
        writeln!(
            f,
            "  curl -s -H \"Authorization: Bearer $LB_KEY\" $LB/v1/lists/$LIST/runs"
        )?;
        writeln!(f, "  # what the CRM saw: requests and record writes")?;
        writeln!(f, "  curl -s $CRM/_admin/stats")?;
        writeln!(
            f,
            "  # submit the demo web form (public, no key), then see its delivery to the CRM"
        )?;
        writeln!(
            f,
            "  curl -s -X POST $LB{} -H 'Content-Type: application/json' -d '{{\"email\":\"jane.doe@example.com\",\"first_name\":\"Jane\",\"last_name\":\"Doe\",\"company\":\"Acme\"}}'",
            self.form.submit_path
        )?;
        writeln!(
            f,
            "  curl -s -H \"Authorization: Bearer $LB_KEY\" $LB/v1/forms/{}/submissions",
            self.form.id
        )?;
        writeln!(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(database_url: &str) -> DemoSummary {
        DemoSummary {
            api_url: "http://127.0.0.1:8080".into(),
            account: "demo-crm-8181".into(),
            api_key: "lb_key".into(),
            crm_url: "http://127.0.0.1:8181".into(),
            crm_user: "admin".into(),
            crm_password: "password".into(),
            database_url: database_url.into(),
            leads_list: "L1".into(),
            signups_list: "L2".into(),
            sync_run: "R1".into(),
            form: DemoForm {
                id: "F1".into(),
                submit_path: "/f/abc".into(),
            },
            console_email: "admin@demo-crm-8181.example".into(),
            console_password: "pw".into(),
        }
    }

    #[test]
    fn prints_key_urls_and_commands() {
        let text = summary("sqlite://listbridge-demo.db?mode=rwc").to_string();
        assert!(text.contains("API key       lb_key"), "{text}");
        assert!(
            text.contains("http://127.0.0.1:8080/openapi.json"),
            "{text}"
        );
        assert!(
            text.contains("http://127.0.0.1:8181/_admin/stats"),
            "{text}"
        );
        assert!(text.contains("$LB/v1/runs/R1"), "{text}");
        assert!(text.contains("$LB/v1/lists/$LIST/runs"), "{text}");
        assert!(text.contains("curl -s -X POST $LB/f/abc"), "{text}");
        assert!(text.contains("$LB/v1/forms/F1/submissions"), "{text}");
        assert!(text.contains("SQLite file listbridge-demo.db"), "{text}");
    }

    #[test]
    fn database_passwords_are_not_printed() {
        let text = summary("postgres://lb:s3cret@db/lb").to_string();
        assert!(!text.contains("s3cret"), "{text}");
        assert!(text.contains("postgres://lb:***@db/lb"), "{text}");
    }
}
