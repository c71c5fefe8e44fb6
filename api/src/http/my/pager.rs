//! The pages of the money lists (payments, expenses, an account's statement): keyset pages read
//! through the read models' own queries, never by offset, with "N of M" and links to the first
//! and the next page, the way the staff panel pages its lists.

use serde::Deserialize;

use crate::http::error::ApiError;

/// Lines a page shows unless `?limit=` asks for another number (1 to 500, the API's bounds).
const PAGE: i64 = 50;

/// `?before=` / `?after=` (a cursor this panel made) and `?limit=` of a list.
#[derive(Deserialize, Default)]
pub(super) struct PageParams {
    #[serde(default)]
    pub(super) before: Option<String>,
    #[serde(default)]
    pub(super) after: Option<String>,
    #[serde(default)]
    pub(super) limit: Option<i64>,
}

impl PageParams {
    /// The page size asked for: the API's `limit` rule, 1 to 500, [`PAGE`] by default.
    pub(super) fn size(&self) -> Result<i64, ApiError> {
        crate::http::answer::limit(Some(self.limit.unwrap_or(PAGE)))
    }

    /// What a link to another page of the same size adds to its address (`&limit=N`).
    pub(super) fn limit_query(&self) -> String {
        self.limit
            .map(|n| format!("&limit={n}"))
            .unwrap_or_default()
    }
}

/// Where a page is in its list.
pub(super) struct Pager {
    /// Lines on this page.
    pub(super) shown: usize,
    /// Lines in the whole list.
    pub(super) total: i64,
    /// The first page's address, when this page is not the first.
    pub(super) first: Option<String>,
    /// The next page's address, when there are more lines.
    pub(super) next: Option<String>,
}

impl Pager {
    /// Cuts `rows`, read as one more than `size`, to a page, and says where it is: `total`
    /// lines in all, `first` the first page's address (shown when `paged`, this page being a
    /// later one), `next` the address after the page's last row.
    pub(super) fn cut<T>(
        rows: &mut Vec<T>,
        size: i64,
        total: i64,
        first: String,
        paged: bool,
        next: impl Fn(&T) -> String,
    ) -> Pager {
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        let more = rows.len() > size;
        rows.truncate(size);
        Pager {
            shown: rows.len(),
            total,
            first: paged.then_some(first),
            next: rows.last().filter(|_| more).map(next),
        }
    }
}
