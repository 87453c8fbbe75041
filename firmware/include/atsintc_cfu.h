/* ATS-INTC through VexRiscv's CFU port: one custom instruction per register access.
 *
 * For SoC(cpu_variant="VexRiscv_FullCfu") (hdl/atsintc/soc/soc.py; the bridge is
 * hdl/atsintc/gateware/cfu.py, docs/architecture.md "CFU port"). The MMIO path
 * (atsintc_regs.h addresses, uncached loads and stores) keeps working next to it, on the
 * same queues.
 *
 * Encoding: R-type, opcode custom-0 (0x0B); VexRiscv hands {funct7, funct3}, rs1 and rs2
 * to the bridge, which makes one bus access on the controller:
 *
 *     .insn r 0x0B, funct3, funct7, rd, rs1, rs2
 *     funct3[0]    1: write rs2 (rd = 0)     0: read (rd = the register)
 *     funct3[2:1]  register byte offset bits 11:10
 *     funct7       register byte offset bits 9:3
 *     address      rs1 + offset, modulo the controller's address space
 *
 * rs1 is a window's MMIO address (ATSINTC_PROC_BASE(SOC_ATSINTC_BASE, p), or
 * SOC_ATSINTC_BASE for the kernel window: its high bits fall off), the offset a register
 * of atsintc_regs.h: atsintc_cfu_write(win, ATSINTC_PROC_ENQUEUE, word),
 * atsintc_cfu_read(win, ATSINTC_PROC_DEQUEUE). A compile-time constant offset (any
 * register: offsets are multiples of 8 below 0x1000) is folded into the instruction; any
 * other offset is added to rs1 first (one more instruction).
 *
 * Cost (measured by firmware/tests/cfu_test.c, docs/architecture.md "CFU port"): 1 cycle
 * in the pipeline with cfu_bus="shared" (2 with cfu_bus="port"); an uncached load costs
 * 4-5. An uncached store alone is posted (1 cycle), so writes gain nothing, and a custom
 * instruction waits 2 cycles right after a load (VexRiscv) and ~4 right after a store
 * (ordering, below): use the CFU for reads (DEQUEUE, RECV, status) first.
 *
 * Enable first: the CFU is off after reset and a custom-0 instruction is then an illegal
 * instruction. The enable is bit 31 of CSR 0xBC0, which VexRiscv shares with the
 * externalInterruptArray mask (SOC_CSR_MEIMASK, bits 30..0): after
 * atsintc_cfu_enable(), change the mask with csrs / csrc only -- a csrw of a mask
 * without bit 31 turns the CFU off again (ATSINTC_CFU_MEIMASK(bits) keeps it on).
 *
 * The CFU reaches the controller whatever the privilege mode (no PMP check): a system
 * that runs untrusted code should leave it off there (CSR 0xBC0 is machine-mode).
 *
 * Ordering: program order with MMIO accesses holds both ways (VexRiscv waits until older
 * loads and stores have left the pipeline; the SoC keeps a CFU access off the controller
 * while the dBus still has a posted store in flight), and the asm statements clobber
 * "memory" (the compiler writes a TCB before the ENQUEUE that publishes it), like a
 * volatile MMIO access.
 */
#ifndef ATSINTC_CFU_H
#define ATSINTC_CFU_H

#include <stdint.h>

#include "atsintc_regs.h"

#define ATSINTC_CFU_OPCODE 0x0B
#define ATSINTC_CFU_CSR 0xBC0                   /* = SOC_CSR_MEIMASK */
#define ATSINTC_CFU_ENABLE (1u << 31)           /* its CFU enable bit */
/* A value for CSR 0xBC0 that sets the external-interrupt mask to `bits` and keeps
 * the CFU on. */
#define ATSINTC_CFU_MEIMASK(bits) (ATSINTC_CFU_ENABLE | (uint32_t)(bits))

/* funct3 / funct7 of an access to byte offset `off` (write: 1, read: 0). */
#define ATSINTC_CFU_FUNCT3(off, write) (((((off) >> 10) & 3) << 1) | ((write) ? 1 : 0))
#define ATSINTC_CFU_FUNCT7(off) (((off) >> 3) & 0x7F)

static inline void atsintc_cfu_enable(void)
{
    __asm__ volatile("csrs %0, %1" ::"i"(ATSINTC_CFU_CSR), "r"(ATSINTC_CFU_ENABLE));
}

static inline void atsintc_cfu_disable(void)
{
    __asm__ volatile("csrc %0, %1" ::"i"(ATSINTC_CFU_CSR), "r"(ATSINTC_CFU_ENABLE));
}

static inline int atsintc_cfu_enabled(void)
{
    uint32_t v;
    __asm__ volatile("csrr %0, %1" : "=r"(v) : "i"(ATSINTC_CFU_CSR));
    return v >> 31;
}

/* The access with a constant offset (checked at compile time). */
#define ATSINTC_CFU__CHECK(off)                                                        \
    _Static_assert(((off) & 7) == 0 && (off) >= 0 && (off) < 0x1000,                   \
                   "ATS-INTC CFU offset: a multiple of 8 below 0x1000")

#define atsintc_cfu_write_k(win, off, value)                                           \
    ({                                                                                 \
        ATSINTC_CFU__CHECK(off);                                                       \
        __asm__ volatile(".insn r %0, %1, %2, x0, %3, %4"                              \
                         ::"i"(ATSINTC_CFU_OPCODE), "i"(ATSINTC_CFU_FUNCT3(off, 1)),   \
                         "i"(ATSINTC_CFU_FUNCT7(off)), "r"((uintptr_t)(win)),          \
                         "r"((uint32_t)(value))                                        \
                         : "memory");                                                  \
    })

#define atsintc_cfu_read_k(win, off)                                                   \
    ({                                                                                 \
        ATSINTC_CFU__CHECK(off);                                                       \
        uint32_t atsintc_cfu__v;                                                       \
        __asm__ volatile(".insn r %1, %2, %3, %0, %4, x0"                              \
                         : "=r"(atsintc_cfu__v)                                        \
                         : "i"(ATSINTC_CFU_OPCODE), "i"(ATSINTC_CFU_FUNCT3(off, 0)),   \
                           "i"(ATSINTC_CFU_FUNCT7(off)), "r"((uintptr_t)(win))         \
                         : "memory");                                                  \
        atsintc_cfu__v;                                                                \
    })

/* The access to a run-time address (offset 0). */
static inline void atsintc_cfu_write_at(uintptr_t addr, uint32_t value)
{
    atsintc_cfu_write_k(addr, 0, value);
}

static inline uint32_t atsintc_cfu_read_at(uintptr_t addr)
{
    return atsintc_cfu_read_k(addr, 0);
}

/* Either: a constant offset in the instruction, else added to the address. */
#define atsintc_cfu_write(win, off, value)                                             \
    __builtin_choose_expr(__builtin_constant_p(off),                                   \
                          atsintc_cfu_write_k(win, __builtin_constant_p(off) ? (off) : 0, \
                                              value),                                  \
                          atsintc_cfu_write_at((uintptr_t)(win) + (off), value))

#define atsintc_cfu_read(win, off)                                                     \
    __builtin_choose_expr(__builtin_constant_p(off),                                   \
                          atsintc_cfu_read_k(win, __builtin_constant_p(off) ? (off) : 0), \
                          atsintc_cfu_read_at((uintptr_t)(win) + (off)))

/* The queue operations. */
#define atsintc_cfu_enqueue(win, word) atsintc_cfu_write(win, ATSINTC_PROC_ENQUEUE, word)
#define atsintc_cfu_dequeue(win) atsintc_cfu_read(win, ATSINTC_PROC_DEQUEUE)
#define atsintc_cfu_block(win, v, word) atsintc_cfu_write(win, ATSINTC_PROC_BLOCK(v), word)

#endif /* ATSINTC_CFU_H */
