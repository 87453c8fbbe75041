// atsintc_soc_ram: the SoC's RAM, one port, synchronous read, byte write enables.
//
// Hand-written (not Amaranth) so that ONE simulator build serves every firmware image:
// the contents are loaded at time 0 with $readmemh, from
//   * the file named by the plusarg  +firmware=<path>  (simulation: the Verilator
//     harness passes the image of the test), or else
//   * the file named by the parameter INIT_FILE (FPGA builds: yosys reads it at
//     synthesis time and initialises the block RAM), or else nothing (all zero).
// The image format is what $readmemh reads: one 32-bit word per line in hex, word i
// at byte address 4*i, little-endian (atsintc.tools.firmware_build.build_firmware writes it).
//
// Timing: addr/we/wdata sampled at the clock edge, rdata is the OLD word at addr
// (read-before-write) in the next cycle.
module atsintc_soc_ram #(
    parameter integer ADDR_WIDTH = 14,          // words: 2**ADDR_WIDTH (14 -> 64 KiB)
    parameter INIT_FILE = ""
) (
    input  wire                  clk,
    input  wire [ADDR_WIDTH-1:0] addr,
    input  wire [3:0]            we,
    input  wire [31:0]           wdata,
    output reg  [31:0]           rdata
);
    reg [31:0] mem [0:(1 << ADDR_WIDTH) - 1];

`ifndef SYNTHESIS
    reg [8*1024-1:0] firmware_path;
    integer i;
    initial begin
        for (i = 0; i < (1 << ADDR_WIDTH); i = i + 1)
            mem[i] = 32'h0;
        if ($value$plusargs("firmware=%s", firmware_path))
            $readmemh(firmware_path, mem);
        else if (INIT_FILE != "")
            $readmemh(INIT_FILE, mem);
    end
`else
    initial begin
        if (INIT_FILE != "")
            $readmemh(INIT_FILE, mem);
    end
`endif

    always @(posedge clk) begin
        if (we[0]) mem[addr][7:0]   <= wdata[7:0];
        if (we[1]) mem[addr][15:8]  <= wdata[15:8];
        if (we[2]) mem[addr][23:16] <= wdata[23:16];
        if (we[3]) mem[addr][31:24] <= wdata[31:24];
        rdata <= mem[addr];
    end
endmodule
