//! The shared vocabulary: value types that storage, the engine and the services above
//! them all speak. It sits below everything else in the crate and depends on nothing
//! in it, so `store` and `engine` can share a type without depending on each other or
//! on a service above them.

pub mod best_match;
pub mod email;
pub mod field_usage;
pub mod phone;
pub mod redact;
pub mod segment_filter;
pub mod values;
