//! Print sheets. Being written.
