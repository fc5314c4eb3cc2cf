//! A run's read of its list's CRM records, as import, pull and backfill all do it: the
//! list's entity from the checkpoint's resume point on, read ahead while pages are
//! stored, the first page telling the run how many records to expect.

use futures::{StreamExt, TryStreamExt};
use listbridge_connector::{CrmConnector, ReadPage, ReadQuery, RecordStream};

use super::{
    Checkpoint, EngineError, RunContext,
    read_ahead::{pages_ahead, read_ahead},
};

/// An open read of CRM records.
pub(super) struct CrmRead {
    pages: RecordStream,
    first: bool,
}

impl CrmRead {
    /// Starts reading `fields` of the list's entity after the checkpoint's cursor. With
    /// `any_order` (an import from the start, which stores every record before relying
    /// on any position) the connector may serve the read by a bulk export whose pages
    /// come in no order ([`listbridge_connector::ReadPage::in_order`]).
    pub(super) fn open(
        ctx: &RunContext<'_>,
        connector: &dyn CrmConnector,
        fields: Vec<String>,
        cp: &Checkpoint,
        any_order: bool,
    ) -> Self {
        let query = ReadQuery {
            fields,
            since: cp.cursor.clone(),
            any_order,
            ..ReadQuery::default()
        };
        let worth = usize::try_from(ctx.pages_worth_reading(cp)).unwrap_or(usize::MAX);
        let source = connector.read(ctx.entity(), query).take(worth).boxed();
        CrmRead {
            pages: read_ahead(source, pages_ahead(connector.capabilities().read_page)),
            first: true,
        }
    }

    /// The next page, `None` at the end. The first page's count of the records still to
    /// come sets the run's expected total (unknown when the CRM does not say). Each page
    /// counts towards the run's page cap; a run that reached a cap gets
    /// [`EngineError::Limit`] instead of the page.
    pub(super) async fn next_page(
        &mut self,
        ctx: &RunContext<'_>,
        cp: &mut Checkpoint,
    ) -> Result<Option<ReadPage>, EngineError> {
        let page = self.pages.try_next().await?;
        if page.is_some() {
            ctx.begin_page(cp)?;
        }
        if let Some(page) = &page
            && std::mem::take(&mut self.first)
        {
            cp.total = page
                .total_results
                .map(|t| cp.done + i64::try_from(t).unwrap_or(i64::MAX));
        }
        Ok(page)
    }
}
