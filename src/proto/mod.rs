//! The VRRP protocol core: a deterministic, sans-IO state machine.
