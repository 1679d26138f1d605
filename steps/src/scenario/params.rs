//! Cucumber parameter types.
