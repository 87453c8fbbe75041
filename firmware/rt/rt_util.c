/* Cold part of the runtime: initialisation, calibration, result lines (see rt.h). */
#include "rt.h"

void rt_backend_init(void);

/* SoC CYCLE - mcycle. A CYCLE load issued right after rdcycle samples the counter in
 * its bus request cycle, 2 cycles after the rdcycle (VexRiscv: the load's command
 * leaves in the cycle after its execute stage); the minimum over a few tries has no
 * cache miss in it. */
static void calibrate(void)
{
    int32_t best = 0x7FFFFFFF;
    for (int i = 0; i < 8; i++) {
        uint32_t a = rdcycle32();
        uint32_t c = RT_MMIO(SOC_SYSCTL_BASE + SOC_SYSCTL_CYCLE_LO);
        int32_t d = (int32_t)(c - a);
        if (d < best)
            best = d;
    }
    rt_cycle_offset = best - 2;
}

void rt_init(void)
{
    calibrate();
    rt_stop = 0;
    rt_idle = 0;
#if !defined(BACKEND_HW)
    for (unsigned b = 1; b < 256; b++) {
        unsigned p = 0;
        while (!(b & (1u << p)))
            p++;
        rt_lowbit[b] = (uint8_t)p;
    }
#endif
    rt_backend_init();
}

/* ---- result lines ---------------------------------------------------------------------- */

void rt_result_begin(const char *bench)
{
    console_puts("RESULT ");
    console_puts(bench);
    console_puts(" " RT_BACKEND);
}

void rt_kv(const char *key, uint32_t value)
{
    console_putc(' ');
    console_puts(key);
    console_putc('=');
    console_put_uint(value);
}

void rt_kv_signed(const char *key, int32_t value)
{
    console_putc(' ');
    console_puts(key);
    console_putc('=');
    if (value < 0) {
        console_putc('-');
        value = -value;
    }
    console_put_uint((uint32_t)value);
}

void rt_result_end(void)
{
    console_putc('\n');
}

void rt_sort(uint32_t *a, uint32_t n)
{
    static const uint32_t gaps[] = {701, 301, 132, 57, 23, 10, 4, 1};   /* Ciura */
    for (unsigned g = 0; g < sizeof gaps / sizeof gaps[0]; g++) {
        uint32_t gap = gaps[g];
        for (uint32_t i = gap; i < n; i++) {
            uint32_t x = a[i], j = i;
            while (j >= gap && a[j - gap] > x) {
                a[j] = a[j - gap];
                j -= gap;
            }
            a[j] = x;
        }
    }
}

/* Nearest-rank percentile of a sorted array. */
uint32_t rt_percentile(const uint32_t *sorted, uint32_t n, uint32_t pct)
{
    if (!n)
        return 0;
    uint32_t rank = (pct * n + 99) / 100;
    if (rank < 1)
        rank = 1;
    return sorted[rank - 1];
}

int rt_check(int ok, const char *what)
{
    console_puts(ok ? "CHECK ok " : "CHECK FAIL ");
    console_puts(RT_BACKEND " ");
    console_puts(what);
    console_putc('\n');
    return ok;
}

/* ---- shutdown, for images with several backends (see rt.h); after everything else, so
 * that the code above stays where it is in the per-backend images ---------------------- */
#ifdef RT_UNITY

#define PLIC(reg) RT_MMIO(SOC_PLIC_BASE + (reg))
#define KERNEL(reg) RT_MMIO(SOC_ATSINTC_BASE + (reg))
#define WIN(p, reg) RT_MMIO(ATSINTC_PROC_BASE(SOC_ATSINTC_BASE, p) + (reg))
#define NPROC SOC_ATSINTC_PROCESSES
#define NCHAN SOC_ATSINTC_CHANNELS
#define VEC_WAITING \
    (ATSINTC_KERNEL_VEC_STATUS_PENDING_MASK | ATSINTC_KERNEL_VEC_STATUS_BLOCKED_MASK)

/* Every source's gateway re-opened (completing a source that is not in flight does
 * nothing; only enabled sources can be completed), what is pending claimed. */
static int plic_fini(void)
{
    for (unsigned i = 1; i <= RT_VECTORS; i++)
        PLIC(SOC_PLIC_PRIORITY(i)) = 1;
    PLIC(SOC_PLIC_THRESHOLD(0)) = 0;
    PLIC(SOC_PLIC_ENABLE(0, 0)) = ((1u << RT_VECTORS) - 1) << 1;
    for (unsigned i = 1; i <= RT_VECTORS; i++)
        PLIC(SOC_PLIC_CLAIM(0)) = i;
    for (unsigned n = 0; n < 2 * RT_VECTORS; n++) {
        uint32_t id = PLIC(SOC_PLIC_CLAIM(0));
        if (!id)
            break;
        PLIC(SOC_PLIC_CLAIM(0)) = id;
    }
    PLIC(SOC_PLIC_ENABLE(0, 0)) = 0;
    for (unsigned i = 1; i <= RT_VECTORS; i++)
        PLIC(SOC_PLIC_PRIORITY(i)) = 0;
    return PLIC(SOC_PLIC_PENDING(0)) == 0;
}

static void atsintc_drain(void)
{
    for (unsigned p = 0; p < NPROC; p++) {
        while (WIN(p, ATSINTC_PROC_DEQUEUE))
            ;
        for (unsigned c = 0; c < NCHAN; c++)
            while (WIN(p, ATSINTC_PROC_RECV(c)))
                ;
    }
}

/* Blocked tasks woken (VEC_RAISE), pending interrupts consumed (a dummy task blocked
 * and dropped, one at a time: the ready queue is short), waiting handlers woken (a
 * message on every channel), then every ready task and message dropped. */
static int atsintc_fini(void)
{
    static rt_task dummy;
    uint32_t word = atsintc_task((uintptr_t)&dummy, 0);
    for (unsigned v = 0; v < RT_VECTORS; v++) {
        KERNEL(ATSINTC_KERNEL_VEC_CFG(v)) = 0;          /* owner: process 0, edge */
        uint32_t s = KERNEL(ATSINTC_KERNEL_VEC_STATUS(v));
        for (uint32_t n = (s & ATSINTC_KERNEL_VEC_STATUS_BLOCKED_MASK) >>
                          ATSINTC_KERNEL_VEC_STATUS_BLOCKED_SHIFT; n; n--)
            KERNEL(ATSINTC_KERNEL_VEC_RAISE(v)) = 1;
        for (uint32_t n = s & ATSINTC_KERNEL_VEC_STATUS_PENDING_MASK; n; n--) {
            WIN(0, ATSINTC_PROC_BLOCK(v)) = word;       /* ready within a few cycles */
            for (unsigned t = 0; t < 8 && !WIN(0, ATSINTC_PROC_DEQUEUE); t++)
                ;
        }
    }
    atsintc_drain();
    KERNEL(ATSINTC_KERNEL_CAP(0)) = (1u << NPROC) - 1;
    for (unsigned p = 0; p < NPROC; p++)
        for (unsigned c = 0; c < NCHAN; c++)
            WIN(0, ATSINTC_PROC_SEND(p * ATSINTC_CHANNELS + c)) = 1;
    atsintc_drain();
    int idle = KERNEL(ATSINTC_KERNEL_READY_SUMMARY) == 0;
    for (unsigned v = 0; v < RT_VECTORS; v++)
        idle &= (KERNEL(ATSINTC_KERNEL_VEC_STATUS(v)) & VEC_WAITING) == 0;
    for (unsigned p = 0; p < NPROC; p++) {
        KERNEL(ATSINTC_KERNEL_CAP(p)) = 0;
        WIN(p, ATSINTC_PROC_ERROR) = ~0u;
    }
    KERNEL(ATSINTC_KERNEL_ERROR) = ~0u;
    return idle;
}

int rt_fini(uint32_t mtvec)
{
    __asm__ volatile("csrci mstatus, 8" ::: "memory");
    __asm__ volatile("csrw mie, zero");
    __asm__ volatile("csrw %0, zero" ::"i"(SOC_CSR_MEIMASK));
    __asm__ volatile("csrw mtvec, %0" ::"r"(mtvec));
    int plic = plic_fini();
    int atsintc = atsintc_fini();
    return rt_check(plic && atsintc, "shutdown: interrupts off, PLIC and ATS-INTC idle");
}

#endif /* RT_UNITY */
