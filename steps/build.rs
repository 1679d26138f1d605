//! The features and the mock holder's snapshots are built into the binary (`include_dir!`),
//! which tracks the files it embeds but not files added to or removed from their folders:
//! this makes cargo rebuild when anything under them changes.

fn main() {
    println!("cargo:rerun-if-changed=../features");
    println!("cargo:rerun-if-changed=../snapshots/mock-holder");
    println!("cargo:rerun-if-changed=build.rs");
}
