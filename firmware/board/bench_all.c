/* The runtime micro-benchmarks of all three backends in one image, for the FPGA board
 * (console = UART) or the simulated SoC: rt/bench.c runs on hw (ATS-INTC), sw (PLIC +
 * software queue) and poll in turn (bench_<backend>.c), each printing its RESULT and
 * CHECK lines after its "bench backend=<b>" line exactly as the per-backend images do,
 * and rt_fini_<b>() leaves the CPU and the interrupt controllers clean for the next one.
 * Then a plain-text table with the micro-benchmark rows of bench_soc.format_table(),
 * made of the values of the RESULT lines as printed. The exit code is the number of
 * failed checks.
 *
 * A backend's console output (rt.h: rt_console_*) goes to the console as it comes and is
 * kept in `section`; the RESULT lines are read from there after the backend has
 * finished. While a benchmark runs, the image executes only the backend's code and these
 * few console functions (no parsing, no waiting), so that the caches, hence the cycle
 * counts, see what they see in the backend's own image: board_bench.py places the
 * backend's code and data where they are there and the strings it prints clear of all
 * that data (board.h), and each benchmark gets the stack from the top of the RAM, as
 * there. (The end of `section` is kept in mscratch, not in memory, so that keeping the
 * text loads nothing into the D-cache; the stores into `section` have shown no effect.)
 *
 * The board's console is a UART at 115200 baud behind a 2048-byte FIFO, and the whole
 * output is longer than that. The SoC's console has back-pressure (a CONSOLE write waits
 * while the FIFO is full), but waiting for the UART while a backend runs could disturb
 * its measurements, so the driver paces the output itself: before each backend it waits
 * until the FIFO has room for a whole section (at most SECTION bytes, or the run fails),
 * assuming (pessimistically) that the FIFO drains one byte per 10 bit times of a CPU
 * clock of BOARD_MAX_HZ; its own lines are paced character by character. In the
 * simulation the waits cost about 6 M cycles.
 */
#include <stdint.h>

#include "board.h"
#include "console.h"

#ifndef BOARD_MAX_HZ
#define BOARD_MAX_HZ 50000000u          /* ULX3S: at most 50 MHz */
#endif
#define UART_BAUD 115200u
#define UART_BYTE_CYCLES ((10u * BOARD_MAX_HZ + UART_BAUD - 1u) / UART_BAUD)
#define UART_FIFO (2048u - 16u)         /* its depth, with a margin */
#define SECTION 1024u                   /* longest console output of one backend */

BOARD_PLACE_RODATA(BOARD_RODATA_PAD)

int bench_main_hw(void), bench_main_sw(void), bench_main_poll(void);
int rt_fini_hw(uint32_t mtvec), rt_fini_sw(uint32_t mtvec), rt_fini_poll(uint32_t mtvec);

/* ---- the backends' console --------------------------------------------------------- */
static char section[SECTION + 1];      /* kept; the end pointer is in mscratch */

void rt_console_putc(char c)
{
    char *p;
    __asm__ volatile("csrr %0, mscratch" : "=r"(p));
    if (p < &section[SECTION])
        *p = c;
    __asm__ volatile("csrw mscratch, %0" ::"r"(p + 1));
    console_putc(c);
}

void rt_console_puts(const char *s)
{
    while (*s)
        rt_console_putc(*s++);
}

/* v in decimal, written backwards from the end of buf[11]; returns the first digit. */
static char *decimal(char buf[11], uint32_t v)
{
    char *p = &buf[10];
    *p = 0;
    do {
        *--p = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    return p;
}

void rt_console_put_uint(uint32_t v)
{
    char buf[11];
    rt_console_puts(decimal(buf, v));
}

/* ---- the UART ---------------------------------------------------------------------- */
static uint32_t fifo_bytes;             /* bytes that may still be in the UART FIFO */
static uint32_t fifo_t;                 /* cycle from which the oldest is being sent */

/* Wait until the FIFO has room for n more bytes. */
static void uart_wait(uint32_t n)
{
    for (;;) {
        uint32_t now = rdcycle32();
        uint32_t gone = (now - fifo_t) / UART_BYTE_CYCLES;
        if (gone >= fifo_bytes) {
            fifo_bytes = 0;
            fifo_t = now;
        } else if (gone) {
            fifo_bytes -= gone;
            fifo_t += gone * UART_BYTE_CYCLES;
        }
        if (fifo_bytes + n <= UART_FIFO)
            return;
    }
}

static void out(char c)
{
    uart_wait(1);
    console_putc(c);
    fifo_bytes++;
}

static void print(const char *s)
{
    while (*s)
        out(*s++);
}

static void print_uint(uint32_t v)
{
    char buf[11];
    print(decimal(buf, v));
}

/* ---- the table --------------------------------------------------------------------- */
/* The driver's own text is in .data, not .rodata (where string literals and unwritten
 * arrays go): .rodata, the strings that the backends print, must stay small enough for
 * board_bench.py to place it clear of the backends' data in the D-cache (board.h). */
#define DRIVER_DATA __attribute__((section(".data.board")))
#define TEXT(name, s) static char name[] DRIVER_DATA = s

#define NB 3
static char backends[NB][5] DRIVER_DATA = {"hw", "sw", "poll"};

static struct row {
    char bench[12], key[12], label[26];
} rows[] DRIVER_DATA = {                /* bench_soc._MICRO_ROWS */
    {"queue", "enqueue", "enqueue (cycles)"},
    {"queue", "dequeue", "dequeue (cycles)"},
    {"queue", "enq_deq", "enqueue + dequeue"},
    {"switch", "p50", "task switch p50"},
    {"irq_idle", "p50", "irq -> task, idle p50"},
    {"irq_idle", "max", "irq -> task, idle max"},
    {"irq_busy", "p50", "irq -> task, busy p50"},
    {"irq_busy", "max", "irq -> task, busy max"},
    {"ipc", "oneway_p50", "IPC one-way wake p50"},
    {"ipc", "rtt_p50", "IPC round trip p50"},
    {"syscall", "oneway_p50", "syscall one-way p50"},
    {"syscall", "rtt_p50", "syscall round trip p50"},
};
#define NROWS (sizeof rows / sizeof rows[0])

static char value[NB][NROWS][11];       /* as printed; "" if none */

static int same(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

/* "RESULT <bench> <backend> key=value ...": keep the values of the table's rows. */
static void take(char *line)
{
    char *tok[16];
    unsigned n = 0;
    for (char *p = line; *p && n < 16;) {
        tok[n++] = p;
        while (*p && *p != ' ')
            p++;
        while (*p == ' ')
            *p++ = 0;
    }
    TEXT(result, "RESULT");
    if (n < 3 || !same(tok[0], result))
        return;
    for (unsigned b = 0; b < NB; b++)
        if (same(tok[2], backends[b]))
            for (unsigned i = 3; i < n; i++) {
                char *v = tok[i];
                while (*v && *v != '=')
                    v++;
                if (!*v)
                    continue;
                *v++ = 0;
                for (unsigned r = 0; r < NROWS; r++)
                    if (same(tok[1], rows[r].bench) && same(tok[i], rows[r].key))
                        for (unsigned k = 0; k < 10; k++)
                            if (!(value[b][r][k] = v[k]))
                                break;
            }
}

/* s left-aligned (right = 0) or right-aligned in a field of `width` characters */
static void field(const char *s, unsigned width, int right)
{
    unsigned n = 0;
    while (s[n])
        n++;
    if (!right)
        print(s);
    for (; n < width; n++)
        out(' ');
    if (right)
        print(s);
}

static void table(void)
{
    TEXT(title, "\nSoC micro-benchmarks, cycles (mcycle deltas)\n");
    TEXT(benchmark, "benchmark");
    TEXT(none, "-");
    print(title);
    field(benchmark, 34, 0);
    for (unsigned b = 0; b < NB; b++)
        field(backends[b], 10, 1);
    out('\n');
    for (unsigned i = 0; i < 34 + 10 * NB; i++)
        out('-');
    out('\n');
    for (unsigned r = 0; r < NROWS; r++) {
        field(rows[r].label, 34, 0);
        for (unsigned b = 0; b < NB; b++)
            field(value[b][r][0] ? value[b][r] : none, 10, 1);
        out('\n');
    }
}

/* ---- main -------------------------------------------------------------------------- */
/* Every benchmark runs with the whole stack from its top, as start.S runs main in a
 * per-backend image (same stack addresses, so the same D-cache behaviour); the driver
 * runs on a stack of its own. main sets it and jumps to board_drive, which returns to
 * start.S with the exit code. on_stack(fn, sp) calls fn with the stack pointer sp. */
#define DRIVER_STACK 1024
uint32_t board_stack[DRIVER_STACK / 4] __attribute__((aligned(16)));
extern char __stack_top[];
int on_stack(int (*fn)(void), void *sp);
__asm__(".text\n"
        ".globl main\n"
        "main:\n"
        "    la   sp, board_stack + " BOARD__STR(DRIVER_STACK) "\n"
        "    tail board_drive\n"
        ".globl on_stack\n"
        "on_stack:\n"
        "    addi sp, sp, -16\n"
        "    sw   ra, 12(sp)\n"
        "    sw   s0, 8(sp)\n"
        "    mv   s0, sp\n"
        "    mv   sp, a1\n"
        "    jalr a0\n"
        "    mv   sp, s0\n"
        "    lw   s0, 8(sp)\n"
        "    lw   ra, 12(sp)\n"
        "    addi sp, sp, 16\n"
        "    ret\n");

/* One backend: its benchmark (once the UART FIFO has room for all it prints), its
 * shutdown, its RESULT lines read back. Returns the number of failed checks. */
static int run(int (*bench_main)(void), int (*fini)(uint32_t), uint32_t mtvec)
{
    uart_wait(SECTION);
    char *end = section;
    __asm__ volatile("csrw mscratch, %0" ::"r"(end));
    int fails = on_stack(bench_main, __stack_top);
    fails += !fini(mtvec);
    __asm__ volatile("csrr %0, mscratch" : "=r"(end));
    uint32_t n = (uint32_t)(end - section);
    uart_wait(0);                       /* as if all of it had come just now */
    fifo_bytes += n;
    if (n > SECTION) {
        TEXT(too_long, "bench_all: a backend printed more than SECTION bytes\n");
        print(too_long);
        return fails + 1;
    }
    section[n] = 0;
    for (char *line = section, *p = section; *p; p++)
        if (*p == '\n') {
            *p = 0;
            take(line);
            line = p + 1;
        }
    return fails;
}

int board_drive(void)
{
    uint32_t mtvec;                     /* start.S's handler: an unexpected trap exits */
    __asm__ volatile("csrr %0, mtvec" : "=r"(mtvec));
    int fails = run(bench_main_hw, rt_fini_hw, mtvec);
    fails += run(bench_main_sw, rt_fini_sw, mtvec);
    fails += run(bench_main_poll, rt_fini_poll, mtvec);
    table();
    TEXT(summary, "bench_all: ");
    TEXT(failed, " failed checks, FAILED\n");
    TEXT(done, " failed checks, done\n");
    print(summary);
    print_uint((uint32_t)fails);
    print(fails ? failed : done);
    return fails;
}
