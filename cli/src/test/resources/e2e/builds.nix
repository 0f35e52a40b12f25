# Derivations the end-to-end build tests send to Cumulus. Builders use the host's /bin/sh through
# sandbox-paths; `salt` makes each test's derivations its own.
{ salt ? "0", seconds ? "1", marker ? "/nonexistent" }:
let
  sh = script: [ "-c" ("export PATH=/usr/bin:/bin; " + script) ];
  mk = name: script: derivation {
    inherit name;
    system = "x86_64-linux";
    builder = "/bin/sh";
    args = sh script;
    inherit salt;
  };
  link = name: dep: mk name "mkdir $out; echo ${name} > $out/name; ln -s ${dep} $out/dep; echo ${dep} > $out/dep-path";
  c1 = mk "c1" "mkdir $out; echo first > $out/name; echo $out > $out/self";
  c2 = link "c2" c1;
  c3 = link "c3" c2;
  c4 = link "c4" c3;
  c5 = mk "c5" "mkdir $out; echo ${c4} ${c2} > $out/refs";
  # Builds only where the file `marker` exists (the test's own builds: its sandbox gets the file
  # through extra-sandbox-paths), never in Cumulus's sandbox: Cumulus can have it only from a substituter.
  upstreamOnly = mk "upstream-only" "test -e ${marker} || { echo not here; exit 1; }; mkdir $out; echo made upstream > $out/x";
  fails = mk "fails" "echo about to fail; echo '<script>document.title=1</script>'; echo second line; exit 3";
  # Sleeps `seconds` (the e2e tests find it by that argument), then succeeds.
  sleeps = mk "sleeps" "echo started; sleep ${seconds}; mkdir $out; echo slept > $out/done";
  side = mk "side" "mkdir $out; cat ${c1}/name > $out/from-c1";
  # For another system, or requiring features (issue 24).
  mkOn = system: features: name: script: derivation {
    inherit name system salt;
    builder = "/bin/sh";
    args = sh script;
    requiredSystemFeatures = features;
  };
in {
  chain = c5;
  first = c1;
  inherit upstreamOnly fails sleeps;
  # The build graph's tests (issue 28): the chain with a side branch, and a graph whose input fails.
  graph = mk "graph-top" "mkdir $out; echo ${c5} ${side} > $out/inputs";
  graphFails = mk "graph-fails-top" "mkdir $out; echo ${c2} ${fails} > $out/inputs";
  afterSleep = mk "after-sleep" "mkdir $out; cat ${sleeps}/done > $out/slept";
  usesUpstream = mk "uses-upstream" "mkdir $out; cat ${upstreamOnly}/x > $out/y; echo ${upstreamOnly} > $out/ref";
  # Prints a line every half second for `seconds`: busy, never silent.
  chatters = mk "chatters" "i=0; while [ $i -lt $((${seconds} * 2)) ]; do echo tick $i; sleep 0.5; i=$((i + 1)); done; mkdir $out";
  # The default pool lacks these: refused at once (the pools test gives cuda a pool). The default
  # pool has big-parallel and nixos-test, and builds for i686-linux.
  aarch64 = mkOn "aarch64-linux" [] "foreign" "mkdir $out";
  cuda = mkOn "x86_64-linux" [ "cuda" ] "needs-cuda" "mkdir $out; echo $NIX_BUILD_CORES > $out/cores";
  bigParallel = mkOn "x86_64-linux" [ "big-parallel" ] "big-parallel" "mkdir $out; echo $NIX_BUILD_CORES > $out/cores";
  nixosTest = mkOn "x86_64-linux" [ "nixos-test" ] "nixos-test" "mkdir $out";
  i686 = mkOn "i686-linux" [] "i686" "mkdir $out; echo $NIX_BUILD_CORES > $out/cores";
  caDrv = derivation {
    name = "ca";
    system = "x86_64-linux";
    builder = "/bin/sh";
    args = sh "mkdir $out; echo ${salt} > $out/salt; echo $out > $out/self; echo ${c1} > $out/ref";
    __contentAddressed = true;
    outputHashMode = "recursive";
    outputHashAlgo = "sha256";
  };
}
