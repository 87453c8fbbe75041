/* crt0 for the simulated SoC: gp and sp, .bss cleared, main(), its return value
 * written to the SoC's EXIT register (which ends the simulation). Traps that nobody
 * handles end the simulation too, with exit code 0x100 | mcause (low byte). */
#include "soc.h"

    .section .text.start, "ax"
    .globl _start
_start:
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    la      sp, __stack_top
    la      t0, _default_trap
    csrw    mtvec, t0
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sw      zero, 0(t0)
    addi    t0, t0, 4
    j       1b
2:  call    main
    /* fall through: a0 = exit code */
    .globl _exit
_exit:
    li      t0, SOC_SYSCTL_BASE
    sw      a0, SOC_SYSCTL_EXIT(t0)
3:  j       3b

    .align  4
_default_trap:
    csrr    a0, mcause
    andi    a0, a0, 0xff
    ori     a0, a0, 0x100
    j       _exit
