//! Local time in C's words, for the dump files: keepalived writes times with `ctime`
//! (`Tue Dec  1 22:39:46.789265 2026` in `keepalived.data`, docs/keepalived-compat.md#dump-files).

/// `strftime(format)` of the local time at `t` (seconds since the epoch), in the C locale;
/// empty when the time cannot be converted.
pub fn strftime_local(format: &str, t: libc::time_t) -> String {
    let Ok(fmt) = std::ffi::CString::new(format) else {
        return String::new();
    };
    let mut buf = [0u8; 64];
    // SAFETY: localtime_r writes into `tm`, strftime into `buf` within its length; both get
    // valid pointers that outlive the calls.
    let n = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            return String::new();
        }
        libc::strftime(buf.as_mut_ptr().cast(), buf.len(), fmt.as_ptr(), &tm)
    };
    String::from_utf8_lossy(buf.get(..n).unwrap_or_default()).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_year_of_the_epoch() {
        // Any time zone: the epoch is in 1969 or 1970.
        let y = super::strftime_local("%Y", 0);
        assert!(y == "1970" || y == "1969", "{y}");
    }
}
