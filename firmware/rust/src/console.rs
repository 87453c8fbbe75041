//! Console output through the C console library (`firmware/lib/console.c`) and the
//! RESULT / CHECK lines of the benchmarks (the format `bench_soc.parse_console` reads).

extern "C" {
    fn console_putc(c: u8);
    fn console_put_uint(v: u32);
    fn soc_exit(code: u32) -> !;
}

#[inline]
pub fn putc(c: u8) {
    unsafe { console_putc(c) }
}

pub fn puts(s: &str) {
    for &b in s.as_bytes() {
        putc(b);
    }
}

pub fn put_uint(v: u32) {
    unsafe { console_put_uint(v) }
}

pub fn put_int(v: i32) {
    if v < 0 {
        putc(b'-');
    }
    put_uint(v.unsigned_abs());
}

/// End the simulation with this exit code.
pub fn exit(code: u32) -> ! {
    unsafe { soc_exit(code) }
}

/// "RESULT <bench> <backend>"
pub fn result_begin(bench: &str) {
    puts("RESULT ");
    puts(bench);
    putc(b' ');
    puts(crate::BACKEND);
}

/// " key=value"
pub fn kv(key: &str, v: u32) {
    putc(b' ');
    puts(key);
    putc(b'=');
    put_uint(v);
}

pub fn kv_signed(key: &str, v: i32) {
    putc(b' ');
    puts(key);
    putc(b'=');
    put_int(v);
}

pub fn result_end() {
    putc(b'\n');
}

/// "CHECK ok <backend> <what>" or "CHECK FAIL ..."; returns `ok`.
pub fn check(ok: bool, what: &str) -> bool {
    puts(if ok { "CHECK ok " } else { "CHECK FAIL " });
    puts(crate::BACKEND);
    putc(b' ');
    puts(what);
    putc(b'\n');
    ok
}
