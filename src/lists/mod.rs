//! Marketing lists outside the engine: CSV uploads and segment filters.

pub mod csv_upload;
pub mod segment_filter;
