package io.brook.it;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * N "hosts" on one Linux machine: one network namespace per host, each with a veth pair whose
 * outer end sits on a private bridge, addresses on a private /24 ({@code 10.78.X.0/24}, X chosen
 * free per run). The host (the test JVM) has {@code .1} on the bridge, host {@code i} has
 * {@code .(10+i)}, so the test reaches every host directly through the bridge and hosts reach
 * each other through it too. Nothing is routed or NATed anywhere else: traffic only ever goes to
 * the namespaces this object made.
 *
 * <p>Names: every run has a random id {@code bkn} + 5 hex digits; the bridge is {@code <id>br},
 * host i's namespace {@code <id>n<i>} and its outer veth {@code <id>h<i>} (at most 11 characters,
 * under the 15 of IFNAMSIZ); inside every namespace the inner veth is {@code eth0}. Every name is
 * written to a run file in {@code /run/brook-netns-it/} before it is created; a later run deletes
 * the names of a run file only when the JVM that wrote it is dead (its PID is gone or belongs to a
 * process with another start time), so a run killed with SIGKILL is cleaned up by the next one
 * and runs in parallel never touch each other's names. Subnet choice and bridge creation happen
 * under a file lock, so parallel runs never pick the same /24.
 *
 * <p>Cutting a host off ({@link #isolate}) drops, with the firewall inside that host's namespace,
 * every packet in or out of its {@code eth0} (so: the other hosts AND the test JVM), while the
 * namespace's loopback keeps working (a node still talks to itself on its own address, which
 * goes through {@code lo}). See {@link NetnsCluster} for why this and not {@code ip link down}.
 *
 * <p>Needs root, iproute2 ({@code ip}) and {@code iptables} (or {@code nft}): see
 * {@link #assumeAvailable()}.
 */
final class NetnsNetwork implements AutoCloseable {
  static final String PREFIX = "bkn";
  private static final String SUBNET_PREFIX = "10.78.";
  private static final Path RUN_DIR = Files.isDirectory(Path.of("/run"))
      ? Path.of("/run", "brook-netns-it") : Path.of(System.getProperty("java.io.tmpdir"), "brook-netns-it");
  private static final Object LOCAL_LOCK = new Object();
  private static final SecureRandom RANDOM = new SecureRandom();
  /** Set {@code BROOK_IT_NETNS_REQUIRED=1} (e.g. on CI) to fail instead of skip when unsupported. */
  static final String REQUIRED_ENV = "BROOK_IT_NETNS_REQUIRED";

  /** {@code iptables} or {@code nft} forces that tool; by default iptables if installed, else nft. */
  static final String FIREWALL_ENV = "BROOK_IT_NETNS_FIREWALL";

  /** Which packet filter cuts hosts off. */
  enum Firewall { IPTABLES, NFT }

  private static volatile Optional<String> unavailable;
  private static volatile Firewall firewall;

  final String id;
  final int hosts;
  final int subnet; // X of 10.78.X.0/24
  private final Path runFile;
  private final Set<Integer> isolated = new HashSet<>();
  private final Thread shutdownHook;
  private boolean closed;

  private NetnsNetwork(String id, int hosts, int subnet) {
    this.id = id;
    this.hosts = hosts;
    this.subnet = subnet;
    this.runFile = RUN_DIR.resolve(id + ".run");
    this.shutdownHook = new Thread(this::closeQuietly, "netns-cleanup-" + id);
  }

  // ---------------------------------------------------------------- availability

  /** Skips the calling test (or fails it, with {@value #REQUIRED_ENV}=1) when namespaces can't be used here. */
  static void assumeAvailable() {
    Optional<String> reason = unavailableReason();
    if (reason.isPresent() && "1".equals(System.getenv(REQUIRED_ENV))) {
      fail("network-namespace tests are required (" + REQUIRED_ENV + "=1) but " + reason.get());
    }
    if (reason.isPresent()) {
      System.err.println("[netns] skipping: " + reason.get());
    }
    Assumptions.assumeTrue(reason.isEmpty(), () -> "network-namespace tests skipped: " + reason.get());
  }

  /** Empty when this machine can run namespace tests; else why not. Probes once per JVM. */
  static synchronized Optional<String> unavailableReason() {
    if (unavailable == null) {
      unavailable = probe();
    }
    return unavailable;
  }

  private static Optional<String> probe() {
    if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
      return Optional.of("not Linux");
    }
    try {
      String uid = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Uid:"))
          .map(l -> l.split("\\s+")[1]).findFirst().orElse("?");
      if (!uid.equals("0")) {
        return Optional.of("needs root (uid is " + uid + ")");
      }
    } catch (IOException e) {
      return Optional.of("cannot read /proc/self/status: " + e);
    }
    if (onPath("ip").isEmpty()) {
      return Optional.of("`ip` (iproute2) is not installed: apt-get install iproute2");
    }
    String forced = System.getenv().getOrDefault(FIREWALL_ENV, "");
    Firewall fw = switch (forced) {
      case "iptables" -> Firewall.IPTABLES;
      case "nft" -> Firewall.NFT;
      default -> onPath("iptables").isPresent() ? Firewall.IPTABLES : onPath("nft").isPresent() ? Firewall.NFT : null;
    };
    if (fw == null) {
      return Optional.of("neither `iptables` nor `nft` is installed: apt-get install iptables");
    }
    String tool = fw == Firewall.IPTABLES ? "iptables" : "nft";
    if (onPath(tool).isEmpty()) {
      return Optional.of("`" + tool + "` (chosen by " + FIREWALL_ENV + ") is not installed");
    }
    // Prove the kernel side works too: a scratch namespace, the cut rules added and removed in it.
    String ns = PREFIX + hex(5) + "p";
    try {
      Result r = exec(List.of("ip", "netns", "add", ns));
      if (r.exit != 0) {
        return Optional.of("`ip netns add` failed: " + r.output.strip());
      }
      firewall = fw;
      List<List<String>> cmds = new ArrayList<>(cutCommands(fw, ns));
      cmds.addAll(healCommands(fw, ns));
      for (List<String> cmd : cmds) {
        Result c = exec(cmd);
        if (c.exit != 0) {
          return Optional.of("`" + String.join(" ", cmd) + "` failed in a namespace: " + c.output.strip());
        }
      }
      return Optional.empty();
    } finally {
      exec(List.of("ip", "netns", "del", ns));
    }
  }

  private static Optional<Path> onPath(String tool) {
    List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
    dirs.addAll(List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin"));
    return dirs.stream().filter(d -> !d.isEmpty()).map(d -> Path.of(d, tool)).filter(Files::isExecutable).findFirst();
  }

  // ---------------------------------------------------------------- creation

  /** Makes the bridge and {@code hosts} namespaces; on any failure deletes what it made and throws. */
  static NetnsNetwork create(int hosts) {
    Optional<String> reason = unavailableReason();
    if (reason.isPresent()) {
      throw new IllegalStateException("network namespaces unavailable: " + reason.get());
    }
    if (hosts < 1 || hosts > 99) {
      throw new IllegalArgumentException("1..99 hosts, got " + hosts);
    }
    NetnsNetwork net = null;
    try {
      synchronized (LOCAL_LOCK) {
        Files.createDirectories(RUN_DIR);
        // Across JVMs: one run at a time picks a subnet and makes its bridge (then the subnet shows in `ip addr`).
        try (FileChannel ch = FileChannel.open(RUN_DIR.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
          FileLock lock = ch.lock();
          try {
            reapDeadRuns();
            String id;
            do {
              id = PREFIX + hex(5);
            } while (Files.exists(RUN_DIR.resolve(id + ".run")) || linkExists(id + "br") || listNetns().contains(id + "n1"));
            net = new NetnsNetwork(id, hosts, freeSubnet());
            Runtime.getRuntime().addShutdownHook(net.shutdownHook);
            net.setUp();
          } finally {
            lock.release();
          }
        }
      }
      return net;
    } catch (IOException | RuntimeException e) {
      if (net != null) {
        net.closeQuietly();
      }
      throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }
  }

  private void setUp() throws IOException {
    ProcessHandle self = ProcessHandle.current();
    Files.writeString(runFile, "pid " + self.pid() + "\nstart " + startOf(self) + "\nsubnet " + subnetCidr() + "\n",
        StandardCharsets.UTF_8);
    record("link", bridge());
    run("ip", "link", "add", bridge(), "type", "bridge");
    run("ip", "addr", "add", hostAddress() + "/24", "dev", bridge());
    run("ip", "link", "set", bridge(), "up");
    for (int i = 1; i <= hosts; i++) {
      record("netns", netns(i));
      record("link", hostVeth(i));
      run("ip", "netns", "add", netns(i));
      run("ip", "-n", netns(i), "link", "set", "lo", "up");
      run("ip", "link", "add", hostVeth(i), "type", "veth", "peer", "name", "eth0", "netns", netns(i));
      run("ip", "link", "set", hostVeth(i), "master", bridge(), "up");
      run("ip", "-n", netns(i), "addr", "add", address(i) + "/24", "dev", "eth0");
      run("ip", "-n", netns(i), "link", "set", "eth0", "up");
    }
    for (int i = 1; i <= hosts; i++) {
      verifyRoute(i);
    }
  }

  private void record(String kind, String name) throws IOException {
    Files.writeString(runFile, kind + " " + name + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
  }

  /** A /24 under 10.78. that no address or route on this machine mentions. */
  private static int freeSubnet() {
    Set<Integer> used = new HashSet<>();
    Pattern p = Pattern.compile("\\b10\\.78\\.(\\d{1,3})\\.");
    for (List<String> cmd : List.of(List.of("ip", "-4", "-o", "addr", "show"), List.of("ip", "-4", "route", "show", "table", "all"))) {
      Matcher m = p.matcher(exec(cmd).output);
      while (m.find()) {
        used.add(Integer.parseInt(m.group(1)));
      }
    }
    List<Integer> free = new ArrayList<>();
    for (int x = 1; x <= 254; x++) {
      if (!used.contains(x)) {
        free.add(x);
      }
    }
    if (free.isEmpty()) {
      throw new IllegalStateException("no free 10.78.X.0/24 left on this machine");
    }
    return free.get(RANDOM.nextInt(free.size()));
  }

  // ---------------------------------------------------------------- names and addresses

  String bridge() {
    return id + "br";
  }

  String netns(int host) {
    check(host);
    return id + "n" + host;
  }

  String hostVeth(int host) {
    check(host);
    return id + "h" + host;
  }

  String subnetCidr() {
    return SUBNET_PREFIX + subnet + ".0/24";
  }

  /** The test JVM's address on the bridge. */
  String hostAddress() {
    return SUBNET_PREFIX + subnet + ".1";
  }

  String address(int host) {
    check(host);
    return SUBNET_PREFIX + subnet + "." + (10 + host);
  }

  private void check(int host) {
    if (host < 1 || host > hosts) {
      throw new IllegalArgumentException("no host " + host + " (1.." + hosts + ")");
    }
  }

  /** {@code cmd} prefixed to run inside host {@code host}'s namespace ({@code ip netns exec} execs it: same PID). */
  List<String> inNetns(int host, List<String> cmd) {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", netns(host)));
    full.addAll(cmd);
    return full;
  }

  /**
   * Throws unless the kernel routes {@code address(host)} out of this run's bridge: checked before
   * any traffic goes to a host, so nothing is ever sent anywhere else by mistake.
   */
  void verifyRoute(int host) {
    Result r = exec(List.of("ip", "route", "get", address(host)));
    if (r.exit != 0 || !(" " + r.output + " ").contains(" dev " + bridge() + " ")) {
      throw new IllegalStateException("route to " + address(host) + " is not via " + bridge() + ": " + r.output.strip());
    }
  }

  // ---------------------------------------------------------------- faults

  /** Drops every packet in or out of host {@code host}'s eth0 (other hosts and the test JVM); loopback stays. */
  synchronized void isolate(int host) {
    check(host);
    if (!isolated.contains(host)) {
      cutCommands(firewall, netns(host)).forEach(NetnsNetwork::run);
      isolated.add(host);
    }
  }

  /** Undoes {@link #isolate}. */
  synchronized void rejoin(int host) {
    check(host);
    if (isolated.contains(host)) {
      healCommands(firewall, netns(host)).forEach(NetnsNetwork::run);
      isolated.remove(host);
    }
  }

  synchronized boolean isIsolated(int host) {
    return isolated.contains(host);
  }

  /**
   * Drop rules for the namespace's eth0 only, both directions: INPUT alone would still deliver
   * the node's own requests (a heartbeat would arrive, only its answer be lost), and matching on
   * the interface rather than the subnet keeps the node's traffic to its own address (via lo).
   * A TCP sender whose packet is dropped in OUTPUT just retransmits, as on a real partition.
   */
  private static List<List<String>> cutCommands(Firewall fw, String ns) {
    List<String> in = List.of("ip", "netns", "exec", ns);
    if (fw == Firewall.IPTABLES) {
      return List.of(concat(in, "iptables", "-w", "5", "-I", "INPUT", "-i", "eth0", "-j", "DROP"),
          concat(in, "iptables", "-w", "5", "-I", "OUTPUT", "-o", "eth0", "-j", "DROP"));
    }
    return List.of(concat(in, "nft", "add table inet brook_cut; "
        + "add chain inet brook_cut in { type filter hook input priority -10; policy accept; }; "
        + "add rule inet brook_cut in iifname \"eth0\" drop; "
        + "add chain inet brook_cut out { type filter hook output priority -10; policy accept; }; "
        + "add rule inet brook_cut out oifname \"eth0\" drop"));
  }

  private static List<List<String>> healCommands(Firewall fw, String ns) {
    List<String> in = List.of("ip", "netns", "exec", ns);
    if (fw == Firewall.IPTABLES) {
      return List.of(concat(in, "iptables", "-w", "5", "-D", "INPUT", "-i", "eth0", "-j", "DROP"),
          concat(in, "iptables", "-w", "5", "-D", "OUTPUT", "-o", "eth0", "-j", "DROP"));
    }
    return List.of(concat(in, "nft", "delete", "table", "inet", "brook_cut"));
  }

  private static List<String> concat(List<String> head, String... tail) {
    List<String> l = new ArrayList<>(head);
    l.addAll(List.of(tail));
    return l;
  }

  // ---------------------------------------------------------------- teardown

  /**
   * Kills every process left in this run's namespaces (SIGKILL, by PID), deletes the namespaces,
   * the veths and the bridge, and checks they are gone. Idempotent; also run by a shutdown hook.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // running from the hook itself
    }
    List<String> namespaces = new ArrayList<>();
    List<String> links = new ArrayList<>();
    for (int i = 1; i <= hosts; i++) {
      namespaces.add(netns(i));
      links.add(hostVeth(i));
    }
    links.add(bridge());
    List<String> left = tearDown(namespaces, links);
    if (left.isEmpty()) {
      try {
        Files.deleteIfExists(runFile);
      } catch (IOException ignored) {
        // a leftover run file of a dead PID is reaped by the next run
      }
    } else {
      throw new IllegalStateException("network namespace run " + id + " left behind: " + left);
    }
  }

  private void closeQuietly() {
    try {
      close();
    } catch (RuntimeException e) {
      System.err.println("[netns] cleanup of " + id + " failed: " + e.getMessage());
    }
  }

  /** Deletes the names; returns what is still there afterwards. */
  private static List<String> tearDown(List<String> namespaces, List<String> links) {
    Set<String> existing = new HashSet<>(listNetns());
    for (String ns : namespaces) {
      if (existing.contains(ns)) {
        killAllIn(ns);
      }
    }
    for (String link : links) { // deleting one end of a veth deletes both
      if (linkExists(link)) {
        exec(List.of("ip", "link", "del", link));
      }
    }
    for (String ns : namespaces) {
      if (existing.contains(ns)) {
        exec(List.of("ip", "netns", "del", ns));
      }
    }
    // Namespace teardown is asynchronous in the kernel: wait (bounded) until the names are gone.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    List<String> left;
    do {
      left = new ArrayList<>();
      Set<String> nsNow = new HashSet<>(listNetns());
      for (String ns : namespaces) {
        if (nsNow.contains(ns)) {
          left.add("netns " + ns);
        }
      }
      for (String link : links) {
        if (linkExists(link)) {
          left.add("link " + link);
        }
      }
      if (left.isEmpty() || System.nanoTime() > deadline) {
        return left;
      }
      pause(100);
    } while (true);
  }

  /** SIGKILLs every process inside namespace {@code ns} (processes this harness started there) and waits for them. */
  private static void killAllIn(String ns) {
    for (int round = 0; round < 5; round++) {
      List<ProcessHandle> procs = exec(List.of("ip", "netns", "pids", ns)).output.lines().map(String::strip)
          .filter(s -> s.matches("\\d+")).map(Long::parseLong).map(ProcessHandle::of)
          .flatMap(Optional::stream).toList();
      if (procs.isEmpty()) {
        return;
      }
      for (ProcessHandle p : procs) {
        p.destroyForcibly(); // SIGKILL, also ends a SIGSTOPped process
      }
      for (ProcessHandle p : procs) {
        try {
          p.onExit().get(10, TimeUnit.SECONDS);
        } catch (Exception ignored) {
          // checked again next round
        }
      }
    }
  }

  /** Deletes the names of run files whose JVM is provably dead (PID gone, or reused by a process started at another time). */
  private static void reapDeadRuns() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(RUN_DIR)) {
      files = s.filter(f -> f.getFileName().toString().startsWith(PREFIX) && f.toString().endsWith(".run")).toList();
    }
    for (Path f : files) {
      long pid = -1;
      String start = "";
      Set<String> namespaces = new LinkedHashSet<>();
      Set<String> links = new LinkedHashSet<>();
      for (String line : Files.readAllLines(f)) {
        String[] kv = line.split(" ", 2);
        if (kv.length < 2) {
          continue;
        }
        switch (kv[0]) {
          case "pid" -> pid = Long.parseLong(kv[1].strip());
          case "start" -> start = kv[1].strip();
          case "netns" -> namespaces.add(kv[1].strip());
          case "link" -> links.add(kv[1].strip());
          default -> { }
        }
      }
      Optional<ProcessHandle> owner = pid > 0 ? ProcessHandle.of(pid) : Optional.empty();
      boolean alive = owner.isPresent() && (start.isEmpty() || startOf(owner.get()).isEmpty() || startOf(owner.get()).equals(start));
      if (alive) {
        continue;
      }
      System.err.println("[netns] reaping leftovers of dead run " + f.getFileName() + " (pid " + pid + "): " + namespaces + " " + links);
      List<String> left = tearDown(List.copyOf(namespaces), List.copyOf(links));
      if (left.isEmpty()) {
        Files.deleteIfExists(f);
      } else {
        System.err.println("[netns] could not remove " + left);
      }
    }
  }

  private static String startOf(ProcessHandle p) {
    return p.info().startInstant().map(i -> Long.toString(i.toEpochMilli())).orElse("");
  }

  private static List<String> listNetns() {
    return exec(List.of("ip", "netns", "list")).output.lines().map(l -> l.split("\\s+")[0]).filter(s -> !s.isEmpty()).toList();
  }

  private static boolean linkExists(String name) {
    return exec(List.of("ip", "link", "show", "dev", name)).exit == 0;
  }

  // ---------------------------------------------------------------- commands

  record Result(int exit, String output) {}

  static void run(String... cmd) {
    run(List.of(cmd));
  }

  /** Runs a command; throws with its output unless it exits 0. */
  static void run(List<String> cmd) {
    Result r = exec(cmd);
    if (r.exit != 0) {
      throw new IllegalStateException("`" + String.join(" ", cmd) + "` exited " + r.exit + ": " + r.output.strip());
    }
  }

  /** Runs a short command (stdout and stderr together), at most 30 s. */
  static Result exec(List<String> cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
      byte[] out = p.getInputStream().readAllBytes(); // the commands are short and close their output on exit
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new Result(-1, "timed out");
      }
      return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    } catch (IOException e) {
      return new Result(-1, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(-1, "interrupted");
    }
  }

  private static String hex(int digits) {
    byte[] b = new byte[(digits + 1) / 2];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b).substring(0, digits);
  }

  private static void pause(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "netns run " + id + " on " + subnetCidr() + " (bridge " + bridge() + ")";
  }
}
