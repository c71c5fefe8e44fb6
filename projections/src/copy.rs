//! Append-only rows written with `COPY … FROM STDIN` rather than `INSERT … SELECT FROM unnest`.
//!
//! The read models that add about one row per event and never touch it again (the seal's
//! chain, the action log, the statement) write a batch's rows with one `COPY` in the text
//! format: PostgreSQL then inserts them page by page (its multi-insert path, one WAL record per
//! page rather than one per row) without planning a statement, unpacking arrays or running the
//! executor per row, which was most of its CPU in a rebuild (BENCHMARKS.md, 2026-12-07). The
//! rows are the same either way, in the same transaction as the checkpoint.

use std::fmt::Display;
use std::io::Write as _;

use sqlx::PgConnection;

/// A batch of rows in `COPY`'s text format, built a field at a time.
#[derive(Default)]
pub(crate) struct CopyRows {
    buffer: Vec<u8>,
    rows: usize,
    /// Whether the current row has a field already (a tab goes before the next).
    in_row: bool,
}

impl CopyRows {
    /// An empty batch with room for about `rows` rows of `row_bytes` bytes.
    pub(crate) fn with_capacity(rows: usize, row_bytes: usize) -> Self {
        Self {
            buffer: Vec::with_capacity(rows.saturating_mul(row_bytes)),
            rows: 0,
            in_row: false,
        }
    }

    fn separate(&mut self) {
        if self.in_row {
            self.buffer.push(b'\t');
        }
        self.in_row = true;
    }

    /// A text field, escaped as the text format wants (backslash, tab, newline, return).
    pub(crate) fn text(&mut self, text: &str) -> &mut Self {
        self.separate();
        for byte in text.bytes() {
            match byte {
                b'\\' => self.buffer.extend_from_slice(b"\\\\"),
                b'\t' => self.buffer.extend_from_slice(b"\\t"),
                b'\n' => self.buffer.extend_from_slice(b"\\n"),
                b'\r' => self.buffer.extend_from_slice(b"\\r"),
                other => self.buffer.push(other),
            }
        }
        self
    }

    /// A field whose text has nothing to escape: numbers, UUIDs, decimals, timestamps.
    pub(crate) fn plain(&mut self, value: impl Display) -> &mut Self {
        self.separate();
        // Writing into a Vec cannot fail.
        let _ = write!(self.buffer, "{value}");
        self
    }

    /// A NULL.
    pub(crate) fn null(&mut self) -> &mut Self {
        self.separate();
        self.buffer.extend_from_slice(b"\\N");
        self
    }

    /// A `bytea` field in hex (`\x…`, its backslash escaped for the text format).
    pub(crate) fn bytea(&mut self, bytes: &[u8]) -> &mut Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        self.separate();
        self.buffer.extend_from_slice(b"\\\\x");
        for byte in bytes {
            self.buffer.push(HEX[usize::from(byte >> 4)]);
            self.buffer.push(HEX[usize::from(byte & 0x0f)]);
        }
        self
    }

    /// Ends the current row.
    pub(crate) fn end_row(&mut self) {
        self.buffer.push(b'\n');
        self.rows += 1;
        self.in_row = false;
    }

    /// Sends the rows with `statement` (a `COPY table (columns) FROM STDIN`) on `conn`, if there
    /// are any.
    pub(crate) async fn send(self, conn: &mut PgConnection, statement: &str) -> sqlx::Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut copy = conn.copy_in_raw(statement).await?;
        copy.send(self.buffer).await?;
        copy.finish().await?;
        Ok(())
    }
}
