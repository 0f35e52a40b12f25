# The closures the end-to-end suite copies: built with /bin/sh in a chroot store, so nothing
# outside this machine is needed. `salt` makes distinct paths for each test that needs its own.
# `chunk` adds that many random bytes to each link of the chain (the benchmark's bulk).
# `tree` is a directory of real files (bench/nix-copy gives the JDK's) as a closure
# of about a hundred paths of mixed sizes: a path per entry of its bin, conf, include and lib, its
# legal and man directories whole, and a top that refers to them all.
# `wide` is `count` small paths side by side and a top that refers to them all (as many small
# paths as a real closure has, built as outputs of a few derivations: a build each would take minutes);
# with `parts`, the top refers to that many paths that each refer to a share of them (a path's
# references must fit in one item of Cumulus' paths table: about 7,500).
{ salt ? "", big ? 1048576, count ? 30, chunk ? 0, tree ? null, parts ? 1 }:
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
  outputsPerDerivation = 500;
  wideOutputs = g: builtins.genList (i: "o${toString (g * outputsPerDerivation + i)}")
    (if (g + 1) * outputsPerDerivation <= count then outputsPerDerivation else count - g * outputsPerDerivation);
  wideGroup = g: derivation {
    name = "small-${toString g}${salt}"; system = builtins.currentSystem; builder = "/bin/sh"; PATH = "/usr/bin:/bin";
    outputs = wideOutputs g;
    args = [ "-c" "for o in $outputs; do eval \"echo $o > \\$$o\"; done" ];
  };
  # a path that refers to each of `paths` (as a file listing them: too many for an argument)
  referringTo = name: paths: derivation {
    name = "${name}${salt}"; system = builtins.currentSystem; builder = "/bin/sh"; PATH = "/usr/bin:/bin";
    args = [ "-c" "cp $pathsPath $out" ]; inherit paths; passAsFile = [ "paths" ];
  };
  smallPaths = builtins.concatLists (builtins.genList (g: map (o: (wideGroup g).${o}) (wideOutputs g))
    ((count + outputsPerDerivation - 1) / outputsPerDerivation));
  treeEntry = dir: entry: mk "tree-${dir}-${entry}" "cp -r '${tree}/${dir}/${entry}' $out" [];
  treePaths = builtins.concatMap (dir: map (treeEntry dir) (builtins.attrNames (builtins.readDir (/. + "${tree}/${dir}"))))
    [ "bin" "conf" "include" "lib" ]
    ++ map (dir: mk "tree-${dir}" "cp -r '${tree}/${dir}' $out" []) [ "legal" "man" ];
in {
  tree = mk "tree-top" "echo $deps > $out" treePaths;
  wide = if parts == 1 then referringTo "wide-top" smallPaths
    else referringTo "wide-top" (builtins.genList (p: referringTo "wide-part-${toString p}"
      (builtins.filter (x: x != null) (builtins.genList (i: let j = i * parts + p; in
        if j < count then builtins.elemAt smallPaths j else null) ((count + parts - 1) / parts)))) parts);
  top = mk "top" ''
    mkdir $out; echo ${chain} > $out/chain; echo ${bigFile} > $out/big; echo ${ca} > $out/ca
  '' [ chain bigFile ca ];
  big = bigFile;
  unsigned = mk "unsigned" "echo nobody signed me > $out" [];
}
