//! The destination plugin API: where an offline conversion export sends its rows.
//!
//! A conversion export reads sales from a CRM (through [`crate::CrmConnector`]) and
//! sends them to a platform that is not a CRM: a call-tracking platform's API, CSV
//! files in its SFTP area. Each such platform is a crate implementing
//! [`ConversionDestination`], beside the CRM connectors. The rows are checked here,
//! once, before any destination sees them: a currency that is not ISO 4217 or an
//! amount that is not a number never leaves listbridge.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// The date-time format of a conversion row, always UTC (`2011-12-15 12:02:34`), as the
/// call-tracking platforms take it.
pub const CONVERSION_DATE_TIME: &str = "%Y-%m-%d %H:%M:%S";

/// ISO 4217 codes of the currencies in use (funds, precious metals and test codes left
/// out: a sale is not paid in them).
const ISO_4217: [&str; 156] = [
    "AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN",
    "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF",
    "CHF", "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP",
    "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD",
    "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY",
    "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD",
    "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK",
    "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK",
    "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG",
    "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS",
    "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS", "VED",
    "VES", "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG",
];

/// A currency code that ISO 4217 lists. Parsed from what a CRM field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency(&'static str);

impl Currency {
    /// The code of `text` (surrounding spaces and case ignored), if ISO 4217 lists it.
    pub fn parse(text: &str) -> Option<Currency> {
        let code = text.trim().to_ascii_uppercase();
        ISO_4217.iter().find(|c| **c == code).map(|c| Currency(c))
    }

    /// The three capital letters.
    pub fn code(self) -> &'static str {
        self.0
    }
}

/// An amount of money as decimal text (`15000`, `15000.00`, `-12.5`): digits with an
/// optional sign and decimal point, as a CRM's currency field reads. Kept as text so
/// no amount is rounded on its way through.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Amount(String);

impl Amount {
    /// The amount `text` (surrounding spaces ignored) states, if it is a plain decimal
    /// number; exponents, thousands separators and currency signs are not.
    pub fn parse(text: &str) -> Option<Amount> {
        let text = text.trim();
        let unsigned = text.strip_prefix('-').unwrap_or(text);
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let well_formed = match unsigned.split_once('.') {
            Some((whole, fraction)) => digits(whole) && digits(fraction),
            None => digits(unsigned),
        };
        well_formed.then(|| Amount(text.to_string()))
    }

    /// The decimal text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What ties a conversion to the call or visit the platform attributed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ConversionReference {
    /// The reference of a call, read out to the call handler and kept in the CRM.
    CallReference(String),
    /// A web visitor's id, sent with a form and kept in the CRM.
    VisitorId(String),
}

/// One conversion, checked: the fields the call-tracking platforms take (seed `000_…`)
/// plus the reference and the key that makes sending it again harmless.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversionRow {
    /// Unique per (export, CRM record, action): a destination that has the key already
    /// does not count the row twice.
    pub key: String,
    /// The kind of interaction, e.g. `sale`.
    pub action_name: String,
    /// A longer description, e.g. the product bought.
    pub title: Option<String>,
    /// When the conversion happened.
    pub occurred_at: DateTime<Utc>,
    /// The sale's own reference (an order number).
    pub transaction_reference: Option<String>,
    /// The money taken.
    pub amount: Option<Amount>,
    /// The currency of the amount and margin.
    pub currency: Option<Currency>,
    /// The margin or gross profit.
    pub margin: Option<Amount>,
    /// The call or visit it is credited to.
    pub reference: ConversionReference,
}

impl ConversionRow {
    /// [`ConversionRow::occurred_at`] as the platforms write it, in UTC.
    pub fn date_time(&self) -> String {
        self.occurred_at.format(CONVERSION_DATE_TIME).to_string()
    }
}

/// The header of a conversions CSV file: the fields as the call-tracking platforms
/// name them (seed `000_…`), then the two references.
pub const CSV_HEADER: [&str; 9] = [
    "Action Name",
    "Title",
    "Date Time",
    "Transaction Reference",
    "Transaction Amount",
    "Transaction Currency",
    "Transaction Margin",
    "Visitor ID",
    "Call Reference",
];

/// Writes `rows` as a CSV file for a platform's file drop or a download: UTF-8, a
/// header row, CRLF line ends, RFC 4180 quoting (a field holding a comma, quote or
/// line break is quoted, quotes doubled), the date-time in UTC.
pub fn write_csv<W: std::io::Write>(rows: &[ConversionRow], out: W) -> std::io::Result<()> {
    let mut csv = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(out);
    csv.write_record(CSV_HEADER)?;
    for row in rows {
        let (visitor_id, call_reference) = match &row.reference {
            ConversionReference::VisitorId(v) => (v.as_str(), ""),
            ConversionReference::CallReference(c) => ("", c.as_str()),
        };
        let date_time = row.date_time();
        csv.write_record([
            row.action_name.as_str(),
            row.title.as_deref().unwrap_or_default(),
            date_time.as_str(),
            row.transaction_reference.as_deref().unwrap_or_default(),
            row.amount.as_ref().map(Amount::as_str).unwrap_or_default(),
            row.currency.map(Currency::code).unwrap_or_default(),
            row.margin.as_ref().map(Amount::as_str).unwrap_or_default(),
            visitor_id,
            call_reference,
        ])?;
    }
    csv.flush()
}

/// What a destination said of one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowOutcome {
    /// Taken (now or by an earlier send of the same key), with the marketing source the
    /// platform credited, when it names one.
    Accepted {
        /// The platform's marketing source for the reference.
        marketing_source: Option<String>,
    },
    /// Refused, in the platform's words (an unknown reference): kept, and sent again
    /// once the record is corrected.
    Rejected {
        /// Why, as the platform put it.
        message: String,
    },
}

/// Why a send failed as a whole (no row has an outcome).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DestinationError {
    /// The platform is unreachable, overloaded or answered 5xx/429: try the same rows
    /// again later (their keys make that safe), not before `retry_after_seconds`.
    #[error("{message}")]
    Unavailable {
        /// What happened, naming the destination; never a secret.
        message: String,
        /// How long the platform asked to be left alone, if it said.
        retry_after_seconds: Option<u64>,
    },
    /// The platform refused the set-up (the token, the address, the batch's shape):
    /// sending again will not help until the export is changed.
    #[error("{0}")]
    Refused(String),
}

/// One call-tracking platform (or file drop) conversions are sent to.
#[async_trait]
pub trait ConversionDestination: Send + Sync + std::fmt::Debug {
    /// The kind name, e.g. `call-tracking-api`.
    fn kind(&self) -> &'static str;

    /// The most rows one [`ConversionDestination::send`] takes.
    fn batch_size(&self) -> usize;

    /// Sends `rows` (at most [`ConversionDestination::batch_size`]) and returns one
    /// outcome per row, in order. Implementations own their transport: retries with
    /// backoff, rate limits, the outbound guard. A row sent again under its key must not
    /// be counted twice.
    async fn send(&self, rows: &[ConversionRow]) -> Result<Vec<RowOutcome>, DestinationError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currencies_are_iso_4217_codes_in_any_case() {
        assert_eq!(Currency::parse(" gbp ").map(Currency::code), Some("GBP"));
        assert_eq!(Currency::parse("EUR").map(Currency::code), Some("EUR"));
        assert_eq!(Currency::parse("XYZ"), None);
        assert_eq!(
            Currency::parse("XTS"),
            None,
            "a test code is not a currency"
        );
        assert_eq!(Currency::parse("GB"), None);
        assert_eq!(Currency::parse(""), None);
        let mut sorted = ISO_4217.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, ISO_4217.to_vec(), "sorted, without repeats");
    }

    #[test]
    fn amounts_are_plain_decimal_numbers() {
        for ok in ["15000", "15000.00", " -12.5 ", "0", "0.99"] {
            assert_eq!(
                Amount::parse(ok).map(|a| a.as_str().to_string()),
                Some(ok.trim().to_string()),
                "{ok}"
            );
        }
        for bad in [
            "", "-", ".5", "5.", "1e5", "1,000", "£12", "NaN", "inf", "12.3.4", "--1", "lots",
        ] {
            assert_eq!(Amount::parse(bad), None, "{bad}");
        }
    }

    fn row(title: Option<&str>, reference: ConversionReference) -> ConversionRow {
        let at = DateTime::parse_from_rfc3339("2026-12-04T10:15:30+01:00")
            .map(|d| d.with_timezone(&Utc))
            .ok();
        ConversionRow {
            key: "k".into(),
            action_name: "sale".into(),
            title: title.map(String::from),
            occurred_at: at.unwrap_or_default(),
            transaction_reference: None,
            amount: Amount::parse("15000.00"),
            currency: Currency::parse("GBP"),
            margin: None,
            reference,
        }
    }

    #[test]
    fn the_date_time_is_written_in_utc() {
        let row = row(None, ConversionReference::CallReference("CR-1".into()));
        assert_eq!(row.date_time(), "2026-12-04 09:15:30");
    }

    #[test]
    fn csv_files_have_the_header_and_rfc_4180_quoting() {
        let rows = [
            row(
                Some("Plan, \"Gold\"\nannual"),
                ConversionReference::CallReference("CR-1".into()),
            ),
            row(Some("Café"), ConversionReference::VisitorId("VID-2".into())),
        ];
        let mut out = Vec::new();
        write_csv(&rows, &mut out).expect("written");
        assert_eq!(
            String::from_utf8(out).expect("UTF-8"),
            "Action Name,Title,Date Time,Transaction Reference,Transaction Amount,\
             Transaction Currency,Transaction Margin,Visitor ID,Call Reference\r\n\
             sale,\"Plan, \"\"Gold\"\"\nannual\",2026-12-04 09:15:30,,15000.00,GBP,,,CR-1\r\n\
             sale,Café,2026-12-04 09:15:30,,15000.00,GBP,,VID-2,\r\n"
        );
    }
}
