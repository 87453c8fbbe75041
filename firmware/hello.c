/* First light: console, cycle counters and one ATS-INTC enqueue + dequeue. */
#include <stdint.h>

#include "atsintc_regs.h"
#include "console.h"
#include "soc.h"

#define PROC0 ATSINTC_PROC_BASE(SOC_ATSINTC_BASE, 0)

/* A task control block: task words point at 16-byte aligned TCBs. */
static struct tcb {
    uint32_t id;
} __attribute__((aligned(ATSINTC_TCB_ALIGN))) task_a = {0xA};

int main(void)
{
    console_puts("hello from VexRiscv\n");

    uint64_t mc = rdcycle64();
    uint64_t cy = soc_cycle();
    console_puts("mcycle ");
    console_put_uint64(mc);
    console_puts(", CYCLE ");
    console_put_uint64(cy);
    console_putc('\n');

    uint32_t id = atsintc_read(SOC_ATSINTC_BASE + ATSINTC_KERNEL_ID);
    console_puts("atsintc id ");
    console_put_hex(id);
    console_putc('\n');

    atsintc_word_t w = atsintc_task((uintptr_t)&task_a, 3);
    atsintc_write(PROC0 + ATSINTC_PROC_ENQUEUE, w);
    uint32_t n = atsintc_read(PROC0 + ATSINTC_PROC_READY_COUNT);
    atsintc_word_t got = atsintc_read(PROC0 + ATSINTC_PROC_DEQUEUE);
    atsintc_word_t empty = atsintc_read(PROC0 + ATSINTC_PROC_DEQUEUE);
    console_puts("enqueued ");
    console_put_hex(w);
    console_puts(" count ");
    console_put_uint(n);
    console_puts(" dequeued ");
    console_put_hex(got);
    console_puts(" prio ");
    console_put_uint(atsintc_task_prio(got));
    console_puts(" then ");
    console_put_hex(empty);
    console_putc('\n');

    int ok = id == 0x41545349u && got == w && n == 1 && empty == 0 &&
             ((struct tcb *)atsintc_task_tcb(got))->id == 0xA;
    console_puts(ok ? "atsintc ok\n" : "atsintc MISMATCH\n");
    return ok ? 0 : 1;
}
