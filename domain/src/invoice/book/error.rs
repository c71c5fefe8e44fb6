/// Why a numbering book refused a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceBookError {
    /// The series, as given, is not 1 to 32 characters of `a-z` and `_`.
    #[error("series: {0:?} must be 1 to 32 characters of a-z and _")]
    InvalidSeries(String),
    /// The year is outside 1 to 9999.
    #[error("year: {0} must be from 1 to 9999")]
    InvalidYear(i32),
    /// The sequence reached `u64::MAX`.
    #[error("sequence: the book has no numbers left")]
    SequenceExhausted,
}

impl InvoiceBookError {
    /// A stable snake_case machine code for API clients; it never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            InvoiceBookError::InvalidSeries(_) => "invalid_series",
            InvoiceBookError::InvalidYear(_) => "invalid_year",
            InvoiceBookError::SequenceExhausted => "sequence_exhausted",
        }
    }
}
