//! Reading the next CRM pages while the current one is stored. A run alternates between
//! waiting for the CRM and writing to the database; with a small read-ahead the two
//! overlap, so a long read takes about as long as the slower of them rather than their
//! sum. At most `pages` pages wait in memory, and the read stops as soon as the run
//! stops listening.

use futures::{StreamExt, stream};
use listbridge_connector::{ConnectorResult, ReadPage, RecordStream};
use tokio::sync::mpsc;

/// Records read ahead of the page being stored: more than an import commits at once
/// (1,000 records), so the CRM read goes on while a commit is written instead of
/// stopping in the middle of it. Bounded in records rather than pages, because pages
/// differ twentyfold between CRMs (100 records for Infor CRM, 2,000 for Salesforce):
/// about 1.6 MB held either way.
const READ_AHEAD_RECORDS: usize = 1_600;

/// Pages to read ahead when a page holds up to `page_records` records: those making
/// [`READ_AHEAD_RECORDS`], and at least one.
pub(super) fn pages_ahead(page_records: usize) -> usize {
    (READ_AHEAD_RECORDS / page_records.max(1)).max(1)
}

/// `source`, read by its own task up to `pages` pages ahead of the consumer.
pub(super) fn read_ahead(mut source: RecordStream, pages: usize) -> RecordStream {
    let (tx, rx) = mpsc::channel::<ConnectorResult<ReadPage>>(pages.max(1));
    tokio::spawn(async move {
        while let Some(page) = source.next().await {
            let failed = page.is_err();
            if tx.send(page).await.is_err() || failed {
                break;
            }
        }
    });
    stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|page| (page, rx))
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use listbridge_connector::ConnectorError;

    use super::*;

    fn page(n: usize) -> ConnectorResult<ReadPage> {
        Ok(ReadPage {
            records: Vec::new(),
            total_results: Some(n as u64),
            in_order: true,
        })
    }

    #[test]
    fn the_read_ahead_holds_about_the_same_records_whatever_the_page_size() {
        assert_eq!(pages_ahead(100), 16);
        assert_eq!(pages_ahead(2_000), 1);
        assert_eq!(pages_ahead(0), READ_AHEAD_RECORDS);
    }

    #[tokio::test]
    async fn pages_arrive_in_order_and_a_failure_ends_the_read() {
        let source = stream::iter(vec![
            page(1),
            page(2),
            Err(ConnectorError::Transient {
                message: "gone".into(),
            }),
            page(4),
        ])
        .boxed();
        let got: Vec<_> = read_ahead(source, 2).collect().await;
        assert_eq!(got.len(), 3, "nothing after the failure");
        assert_eq!(got[0].as_ref().ok().and_then(|p| p.total_results), Some(1));
        assert_eq!(got[1].as_ref().ok().and_then(|p| p.total_results), Some(2));
        assert!(got[2].is_err());
    }
}
