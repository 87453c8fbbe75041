/* crt0 for the SoC: gp and sp, .bss cleared, main(), its return value written to the
 * SoC's EXIT register (which ends the simulation). Traps that nobody handles end the
 * simulation too, with exit code 0x100 | mcause (low byte).
 *
 * Several harts (SoC(harts > 1)) all start here: each reads its number from the SMP
 * block's HARTID register (0 on a one-hart SoC, whose SMP window reads 0) and takes a
 * stack h << SOC_HART_STACK_SHIFT bytes below the top of the RAM. Hart 0 clears .bss,
 * then releases the others (__smp_go, read through the uncached alias) and runs
 * main(); hart h > 0 runs hart_main(h) (default: sleep in WFI forever). */
#include "soc.h"

    .section .text.start, "ax"
    .globl _start
_start:
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    li      t0, SOC_SMP_BASE
    lw      t1, SOC_SMP_HARTID(t0)
    la      sp, __stack_top
    slli    t2, t1, SOC_HART_STACK_SHIFT
    sub     sp, sp, t2
    la      t0, _default_trap
    csrw    mtvec, t0
    bnez    t1, _secondary
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sw      zero, 0(t0)
    addi    t0, t0, 4
    j       1b
2:  la      t0, __smp_go
    li      t1, 1
    sw      t1, 0(t0)
    call    main
    /* fall through: a0 = exit code */
    .globl _exit
_exit:
    li      t0, SOC_SYSCTL_BASE
    sw      a0, SOC_SYSCTL_EXIT(t0)
3:  j       3b

_secondary:
    la      t0, __smp_go
    li      t2, SOC_RAM_UNCACHED_BASE - SOC_RAM_BASE
    add     t0, t0, t2
1:  lw      t2, 0(t0)
    beqz    t2, 1b
    mv      a0, t1
    call    hart_main
2:  wfi
    j       2b

    .weak   hart_main
hart_main:
    wfi
    j       hart_main

    .align  4
_default_trap:
    csrr    a0, mcause
    andi    a0, a0, 0xff
    ori     a0, a0, 0x100
    j       _exit

    .section .data
    .align  2
__smp_go:
    .word   0
