//! Reading the next CRM pages while the current one is stored. A run alternates between
//! waiting for the CRM and writing to the database; with a small read-ahead the two
//! overlap, so a long read takes about as long as the slower of them rather than their
//! sum. At most `pages` pages wait in memory, and the read stops as soon as the run
//! stops listening.

use futures::{StreamExt, stream};
use listbridge_connector::{ConnectorResult, ReadPage, RecordStream};
use tokio::sync::mpsc;

/// Pages read ahead of the one being stored: more than an import commits at once
/// (1,000 records, ten pages of the usual 100), so the CRM read goes on while a commit
/// is written instead of stopping two pages into it. At 100 records a page that is
/// about a megabyte held.
pub(super) const READ_AHEAD_PAGES: usize = 16;

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
        })
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
