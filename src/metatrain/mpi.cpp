#include "metatrain/mpi.h"

#include <cstdint>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <thread>

#include <fmt/format.h>

#include "common/error.h"

#ifdef METAUNSUP_HAVE_MPI
#include <mpi.h>
#endif

namespace mu {

int mpi_world_size() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"})
    if (const char* s = std::getenv(v)) return std::max(1, std::atoi(s));
  return 1;
}

#ifndef METAUNSUP_HAVE_MPI
bool mpi_available() { return false; }
TrainResult meta_train_mpi(const MetaConfig&, const TrainOptions&) {
  throw Error("meta-train: started under mpirun, but this build has no MPI (install libopenmpi-dev and rebuild)");
}
#else
bool mpi_available() { return true; }

namespace {
constexpr int kTagTheta = 11, kTagResult = 12;
// kCmdAbort: stop without MPI_Finalize, which would wait forever on a rank that died.
constexpr int64_t kCmdWork = 0, kCmdStop = 1, kCmdAbort = 2;
// Header::ok of a worker's answer: 0 failed unroll, 1 gradient follows, 2 "I was told to stop" (a signal
// reached this rank): the learner stops the whole job at its next safe point.
constexpr int64_t kOkFailed = 0, kOkGradient = 1, kOkStopping = 2;

// Learner -> worker: [int64 cmd, int64 version, float theta...]. Worker -> learner: [Header, float grad...].
struct Header {
  int64_t ok, U, version;
  double loss, cosine, ridge, accuracy;
};

std::vector<char> pack_theta(const Theta& th, int64_t cmd, int64_t version) {
  std::vector<at::Tensor> flat;
  for (const auto& t : th.list()) flat.push_back(t.detach().to(at::kCPU, at::kFloat).contiguous().flatten());
  at::Tensor all = flat.empty() ? at::empty({0}) : at::cat(flat);
  std::vector<char> buf(16 + all.numel() * sizeof(float));
  std::memcpy(buf.data(), &cmd, 8);
  std::memcpy(buf.data() + 8, &version, 8);
  std::memcpy(buf.data() + 16, all.data_ptr<float>(), all.numel() * sizeof(float));
  return buf;
}

std::vector<at::Tensor> unflatten(const Theta& like, const char* p, size_t bytes, at::Device dev) {
  std::vector<at::Tensor> out;
  size_t off = 0;
  for (const auto& t : like.list()) {
    size_t n = size_t(t.numel()) * sizeof(float);
    MU_CHECK(off + n <= bytes, "MPI message too short for theta");
    at::Tensor x = at::empty(t.sizes(), at::kFloat);
    std::memcpy(x.data_ptr<float>(), p + off, n);
    out.push_back(x.to(dev));
    off += n;
  }
  MU_CHECK(off == bytes, "MPI message size does not match theta");
  return out;
}

class MpiWorkers : public RemoteWorkers {
 public:
  MpiWorkers(int size, Theta like, double timeout_s) : size_(size), like_(std::move(like)), timeout_(timeout_s) {}
  void start(Deliver deliver, Current current) override {
    deliver_ = std::move(deliver), current_ = std::move(current);
    thread_ = std::thread([this] { loop(); });
  }
  void stop() override {
    quit_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int alive() const { return alive_; }

 private:
  void loop() {
    const int W = size_ - 1;
    size_t result_bytes = sizeof(Header) + size_t(like_.count()) * sizeof(float);
    std::vector<std::vector<char>> rbuf(W, std::vector<char>(result_bytes)), sbuf(W);
    std::vector<MPI_Request> rreq(W, MPI_REQUEST_NULL), sreq(W, MPI_REQUEST_NULL);
    std::vector<bool> dead(W, false), idle(W, false);  // idle: stopping, no unroll in flight
    std::vector<std::chrono::steady_clock::time_point> heard(W, std::chrono::steady_clock::now());
    alive_ = W;
    auto kill = [&](int w, const std::string& why) {
      if (dead[w]) return;
      dead[w] = true;
      --alive_;
      std::cerr << fmt::format("[meta-train] MPI worker rank {} dropped ({}); {} workers left\n", w + 1, why, alive_.load());
    };
    auto send = [&](int w, int64_t cmd) {
      // The worker answered (or is working on) the previous theta, so that send has been received:
      // waiting for it completes at once and frees its buffer for reuse.
      if (sreq[w] != MPI_REQUEST_NULL) MPI_Wait(&sreq[w], MPI_STATUS_IGNORE);
      auto [th, ver] = current_();
      sbuf[w] = pack_theta(*th, cmd, ver);
      if (MPI_Isend(sbuf[w].data(), int(sbuf[w].size()), MPI_BYTE, w + 1, kTagTheta, MPI_COMM_WORLD, &sreq[w]) !=
          MPI_SUCCESS)
        kill(w, "send failed");
    };
    auto post = [&](int w) {
      if (MPI_Irecv(rbuf[w].data(), int(result_bytes), MPI_BYTE, w + 1, kTagResult, MPI_COMM_WORLD, &rreq[w]) !=
          MPI_SUCCESS)
        kill(w, "receive failed");
    };
    for (int w = 0; w < W; ++w) send(w, kCmdWork), post(w);
    while (!quit_) {
      bool any = false;
      for (int w = 0; w < W && !quit_; ++w) {
        if (dead[w]) continue;
        int done = 0;
        MPI_Status status;
        if (MPI_Test(&rreq[w], &done, &status) != MPI_SUCCESS) {
          kill(w, "receive error");
          continue;
        }
        if (!done) {
          if (std::chrono::duration<double>(std::chrono::steady_clock::now() - heard[w]).count() > timeout_)
            kill(w, fmt::format("silent for {:.0f} s", timeout_));
          continue;
        }
        any = true;
        heard[w] = std::chrono::steady_clock::now();
        WorkOutput out;
        Header h;
        std::memcpy(&h, rbuf[w].data(), sizeof(Header));
        if (h.ok == kOkStopping) {  // this rank got a stop signal: stop everyone, checkpoint, exit
          idle[w] = true;
          stop_requested().store(true);
          continue;
        }
        out.ok = h.ok == kOkGradient, out.U = h.U;
        out.result.loss = h.loss, out.result.cosine = h.cosine, out.result.ridge_penalty = h.ridge;
        out.result.accuracy = h.accuracy;
        if (out.ok) {
          out.result.grad = unflatten(like_, rbuf[w].data() + sizeof(Header), result_bytes - sizeof(Header),
                                      like_.list()[0].device());
        } else {
          out.result.finite = false;
          out.why = "non-finite meta-loss or meta-gradient on an MPI worker";
        }
        deliver_(std::move(out), h.version);
        send(w, kCmdWork);
        post(w);
      }
      if (!any) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    // Drain, in two phases. First each live worker finishes its unroll and sends its result (a blocking
    // send): wait for it (bounded); a worker that does not answer in time is abandoned. Only then, knowing
    // who is alive, tell the live ones to stop: with a dead rank they must exit without MPI_Finalize (it
    // would wait on the dead rank forever), so that choice cannot be made before every result is in.
    // A stop signal: the checkpoint is already written; wait only briefly for unrolls in flight.
    const double drain_s = std::min(timeout_, stop_requested().load() ? 30.0 : 300.0);
    auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(drain_s);
    for (int w = 0; w < W; ++w) {
      if (dead[w] || idle[w]) continue;
      int done = 0;
      while (!done && std::chrono::steady_clock::now() < until) {
        if (MPI_Test(&rreq[w], &done, MPI_STATUS_IGNORE) != MPI_SUCCESS) break;
        if (!done) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      if (!done) kill(w, "no answer while shutting down");
    }
    const int64_t cmd = alive_ < W ? kCmdAbort : kCmdStop;
    until = std::chrono::steady_clock::now() + std::chrono::duration<double>(drain_s);
    for (int w = 0; w < W; ++w) {
      if (dead[w]) continue;
      send(w, cmd);
      int sent = 0;
      while (!sent && std::chrono::steady_clock::now() < until) {
        if (MPI_Test(&sreq[w], &sent, MPI_STATUS_IGNORE) != MPI_SUCCESS) break;
        if (!sent) std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      if (!sent) kill(w, "stop message not delivered");
    }
  }

  int size_;
  Theta like_;
  double timeout_;
  Deliver deliver_;
  Current current_;
  std::thread thread_;
  std::atomic<bool> quit_{false};
  std::atomic<int> alive_{0};
};

// Test hook: METAUNSUP_MPI_TEST_EXIT="RANK:N" makes that worker rank exit abruptly after N unrolls.
std::pair<int, int64_t> test_exit() {
  const char* s = std::getenv("METAUNSUP_MPI_TEST_EXIT");
  if (!s) return {-1, 0};
  int r = 0;
  long long n = 0;
  if (std::sscanf(s, "%d:%lld", &r, &n) != 2) return {-1, 0};
  return {r, n};
}

void worker_main(const MetaConfig& cfg, const TrainOptions& opt, int rank) {
  at::Device device(opt.device == "cuda" ? at::kCUDA : at::kCPU);
  TaskData data = load_task_data(cfg, device);
  WorkContext ctx = make_work_context(cfg, data, device, opt.tamper);
  RuleOptions ro;
  ro.identical_updates = cfg.identical_updates;
  ro.eta = cfg.eta;
  Theta like = init_theta(0, ro);
  SlotState slot;
  // Distinct task streams per rank and per session (a resumed job must not replay the same tasks).
  int64_t slot_id = int64_t(rank) * 1000003 + int64_t(std::chrono::system_clock::now().time_since_epoch().count() % 1000003);
  auto [die_rank, die_after] = test_exit();
  int64_t done = 0;
  std::vector<char> buf;
  auto stop_notice = [&] {
    Header h{kOkStopping, 0, 0, 0, 0, 0, 0};
    MPI_Send(&h, int(sizeof h), MPI_BYTE, 0, kTagResult, MPI_COMM_WORLD);
  };
  for (;;) {
    MPI_Status st;
    // Poll rather than block in MPI_Probe, so that a stop signal is seen while waiting. A stopping worker
    // waits for the learner's stop command; a learner that never sends one is gone: exit after a while.
    auto since = std::chrono::steady_clock::now();
    for (int flag = 0; !flag;) {
      MPI_Iprobe(0, kTagTheta, MPI_COMM_WORLD, &flag, &st);
      if (flag) break;
      if (!stop_requested().load()) since = std::chrono::steady_clock::now();
      if (std::chrono::steady_clock::now() - since > std::chrono::seconds(120)) std::_Exit(0);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    int bytes = 0;
    MPI_Get_count(&st, MPI_BYTE, &bytes);
    buf.resize(size_t(bytes));
    MPI_Recv(buf.data(), bytes, MPI_BYTE, 0, kTagTheta, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    int64_t cmd, version;
    std::memcpy(&cmd, buf.data(), 8);
    std::memcpy(&version, buf.data() + 8, 8);
    if (cmd == kCmdStop) break;
    if (cmd == kCmdAbort) std::_Exit(0);  // a rank died: MPI_Finalize would wait on it (the learner does the same)
    if (stop_requested().load()) {  // signalled: answer this request with a stop notice instead of an unroll
      stop_notice();
      continue;
    }
    Theta theta = like.with(unflatten(like, buf.data() + 16, buf.size() - 16, device));
    WorkOutput out = run_unroll(ctx, slot, slot_id, theta, version);
    if (rank == die_rank && ++done > die_after) _exit(3);
    std::vector<char> res(sizeof(Header) + size_t(like.count()) * sizeof(float), 0);
    Header h{out.ok ? kOkGradient : kOkFailed, out.U, version, out.result.loss, out.result.cosine, out.result.ridge_penalty,
             out.result.accuracy};
    std::memcpy(res.data(), &h, sizeof(Header));
    if (out.ok) {
      size_t off = sizeof(Header);
      for (const auto& g : out.result.grad) {
        at::Tensor c = g.to(at::kCPU, at::kFloat).contiguous();
        std::memcpy(res.data() + off, c.data_ptr<float>(), size_t(c.numel()) * sizeof(float));
        off += size_t(c.numel()) * sizeof(float);
      }
    }
    MPI_Send(res.data(), int(res.size()), MPI_BYTE, 0, kTagResult, MPI_COMM_WORLD);
  }
}
}  // namespace

TrainResult meta_train_mpi(const MetaConfig& cfg, const TrainOptions& opt_in) {
  MU_CHECK(!opt_in.deterministic, "meta-train: --deterministic runs in one process; drop it under mpirun");
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided);
  MU_CHECK(provided >= MPI_THREAD_SERIALIZED, "meta-train: the MPI library lacks thread support");
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  // Every rank turns SIGINT/SIGTERM/SIGUSR1 into a stop at its next safe point (Slurm signals every task;
  // mpirun forwards SIGUSR1 and, on SIGTERM, sends SIGTERM to every rank and SIGKILL a second later).
  StopSignalScope signals(opt_in.handle_signals);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  TrainResult res;
  if (rank == 0) {
    TrainOptions opt = opt_in;
    RuleOptions ro;
    ro.identical_updates = cfg.identical_updates;
    ro.eta = cfg.eta;
    double timeout = 600;
    if (const char* s = std::getenv("METAUNSUP_MPI_WORKER_TIMEOUT")) timeout = std::atof(s);
    Theta like = init_theta(0, ro);
    if (opt.device == "cuda") {
      std::vector<at::Tensor> v;
      for (const auto& t : like.list()) v.push_back(t.to(at::kCUDA));
      like = like.with(v);
    }
    MpiWorkers workers(size, like, timeout);
    opt.remote = &workers;
    opt.workers = opt_in.workers > 1 ? opt_in.workers : 0;  // rank 0 only learns unless told otherwise
    std::cerr << fmt::format("[meta-train] MPI learner on rank 0 with {} worker ranks\n", size - 1);
    res = meta_train(cfg, opt);
    std::cerr << fmt::format("[meta-train] MPI: {} of {} worker ranks alive at the end\n", workers.alive(), size - 1);
    std::cerr << fmt::format("[meta-train] {} at meta-step {} after {:.1f} s; rule in {}/theta.pt\n",
                             res.interrupted ? "stopped (checkpointed; --resume continues)" : "finished", res.step,
                             res.seconds, opt.out_dir);
    std::cerr.flush();
    if (workers.alive() < size - 1) {
      // A rank died: MPI_Finalize could wait on it forever. The checkpoint and theta are written.
      std::cerr << "[meta-train] exiting without MPI_Finalize (a worker died)\n";
      std::cerr.flush();
      std::_Exit(0);
    }
  } else {
    worker_main(cfg, opt_in, rank);
  }
  MPI_Finalize();
  return res;
}
#endif

}  // namespace mu
