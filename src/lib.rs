//! listbridge
