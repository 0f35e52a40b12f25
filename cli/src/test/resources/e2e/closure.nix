# The closures the end-to-end suite copies: built with /bin/sh in a chroot store, so nothing
# outside this machine is needed. `salt` makes distinct paths for each test that needs its own.
# `chunk` adds that many random bytes to each link of the chain (the benchmark's bulk).
{ salt ? "", big ? 1048576, count ? 30, chunk ? 0 }:
let
  mk = name: script: deps: derivation {
    name = "${name}${salt}";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" script ];
    PATH = "/usr/bin:/bin";
    inherit deps;
  };
  # a text path (content-addressed) referred to by the leaf
  greeting = builtins.toFile "greeting${salt}.txt" "hello from a text path";
  leaf = mk "leaf" ''
    mkdir -p $out/bin $out/share
    printf '#!/bin/sh\necho leaf\n' > $out/bin/leaf; chmod +x $out/bin/leaf
    : > $out/share/empty
    ln -s ../bin/leaf $out/share/link-to-leaf
    ln -s /nonexistent $out/share/dangling
    echo ${greeting} > $out/share/greeting-path
  '' [];
  bigFile = mk "big-file" "head -c ${toString big} /dev/urandom > $out" [];
  chain = builtins.foldl' (prev: i: mk "chain-${toString i}" ''
    mkdir $out; echo ${prev} > $out/prev; echo ${leaf} > $out/leaf; echo ${toString i} > $out/n
    head -c ${toString chunk} /dev/urandom > $out/data
  '' [ prev ]) leaf (builtins.genList (i: i) count);
  # a floating content-addressed derivation: copying its output registers its realisation
  ca = derivation {
    name = "ca-output${salt}"; system = builtins.currentSystem; builder = "/bin/sh"; PATH = "/usr/bin:/bin";
    args = [ "-c" "mkdir $out; echo ${leaf} > $out/ref; echo content-addressed > $out/data" ];
    __contentAddressed = true; outputHashMode = "recursive"; outputHashAlgo = "sha256";
  };
in {
  top = mk "top" ''
    mkdir $out; echo ${chain} > $out/chain; echo ${bigFile} > $out/big; echo ${ca} > $out/ca
  '' [ chain bigFile ca ];
  big = bigFile;
  unsigned = mk "unsigned" "echo nobody signed me > $out" [];
}
