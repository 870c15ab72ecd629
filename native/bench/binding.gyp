{
  "targets": [
    {
      "target_name": "lvs_bench",
      "sources": ["packet_blast.c"],
      "include_dirs": [".."],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-O2"],
      "conditions": [["OS!='linux'", {"type": "none"}]]
    }
  ]
}
