/* Placement of code and data in the all-backends image (bench_all.c).
 *
 * The caches are direct mapped (4 KiB each), so cycle counts depend on where code and
 * data are modulo 4 KiB. BOARD_PLACE(text, bss), at the top of a backend's first file
 * (rt_<backend>.c), inserts `text` bytes before its code and `bss` bytes before its
 * zero-initialised data; board_bench.py chooses them (-DBOARD_TEXT_PAD_<B>=... and
 * -DBOARD_BSS_PAD_<B>=...) so that every function and variable of the backend lies at
 * the same address modulo 4 KiB as in the backend's own image. Everything in a
 * backend's files comes in the same order as there, so one offset per section does.
 *
 * The read-only data (the strings the backends print; the linker merges them, so they
 * cannot be placed per backend) comes right after the code: BOARD_PLACE_RODATA(pad)
 * (bench_all.c, the last file) puts `pad` bytes after all the code, and board_bench.py
 * (-DBOARD_RODATA_PAD=...) moves it clear of every backend's data and of the top of the
 * stack in the D-cache, where each backend's own image has its strings too. */
#ifndef BOARD_H
#define BOARD_H

#if !defined(BOARD_TEXT_PAD_HW) || !defined(BOARD_TEXT_PAD_SW) ||                 \
    !defined(BOARD_TEXT_PAD_POLL) || !defined(BOARD_BSS_PAD_HW) ||                  \
    !defined(BOARD_BSS_PAD_SW) || !defined(BOARD_BSS_PAD_POLL) ||                  \
    !defined(BOARD_RODATA_PAD)
#error "built by atsintc.tools.board_bench, which sets the placements BOARD_*_PAD_*"
#endif

#define BOARD__STR2(x) #x
#define BOARD__STR(x) BOARD__STR2(x)
#define BOARD_PLACE(text, bss)                                          \
    __asm__(".pushsection .text\n.skip " BOARD__STR(text) "\n.popsection\n" \
            ".pushsection .bss\n.skip " BOARD__STR(bss) "\n.popsection\n");
/* in a section of its own after the file's code, kept (R) although nothing refers to it */
#define BOARD_PLACE_RODATA(pad)                                         \
    __asm__(".pushsection .text.board_end, \"axR\", @progbits\n"       \
            ".skip " BOARD__STR(pad) "\n.popsection\n");

#endif
