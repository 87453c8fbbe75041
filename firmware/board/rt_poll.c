/* rt/rt.c for the poll backend of the all-backends image (bench_all.c, see rt.h), placed
 * (board.h) where it is in the per-backend image. */
#define BACKEND_POLL
#define RT_UNITY
#include "board.h"
BOARD_PLACE(BOARD_TEXT_PAD_POLL, BOARD_BSS_PAD_POLL)
#include "../rt/rt.c"
