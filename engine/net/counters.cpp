
#include "http/request_parser.h"
#include "http/response_writer.h"
#include "tls/tls.h"
#include "viper/server.h"

namespace viper {

namespace {

void field(http::Appender& a, std::string_view name, uint64_t v, bool* first) {
  if (!*first) a.put(",");
  *first = false;
  a.put("\"");
  a.put(name);
  a.put("\":");
  a.put_uint(v);
}

}  // namespace

size_t format_counters_json(const Counters& c, char* out, size_t cap) {
  http::Appender a(out, cap);
  bool first = true;
  a.put("{");
  field(a, "connections_accepted", c.connections_accepted.get(), &first);
  field(a, "connections_closed", c.connections_closed.get(), &first);
  field(a, "connections_active", c.connections_active.get(), &first);
  field(a, "requests", c.requests.get(), &first);
  field(a, "keepalive_reuses", c.keepalive_reuses.get(), &first);
  field(a, "timeouts_header", c.timeouts_header.get(), &first);
  field(a, "timeouts_body", c.timeouts_body.get(), &first);
  field(a, "timeouts_idle", c.timeouts_idle.get(), &first);
  field(a, "timeouts_send", c.timeouts_send.get(), &first);
  field(a, "accept_paused", c.accept_paused.get(), &first);
  field(a, "admitted_waiting", c.admitted_waiting.get(), &first);
  field(a, "turns_ended", c.turns_ended.get(), &first);
  field(a, "evicted_idle", c.evicted_idle.get(), &first);
  field(a, "evicted_head", c.evicted_head.get(), &first);
  field(a, "evicted_silent", c.evicted_silent.get(), &first);
  field(a, "evicted_linger", c.evicted_linger.get(), &first);
  field(a, "evictions_spared", c.evictions_spared.get(), &first);
  field(a, "rejected_full", c.rejected_full.get(), &first);
  field(a, "body_buffers_exhausted", c.body_buffers_exhausted.get(), &first);
  field(a, "peer_resets", c.peer_resets.get(), &first);
  field(a, "io_errors", c.io_errors.get(), &first);
  field(a, "bad_method", c.bad_method.get(), &first);
  field(a, "bad_path", c.bad_path.get(), &first);
  field(a, "io_buffers_in_use", c.io_buffers_in_use.get(), &first);
  field(a, "body_buffers_in_use", c.body_buffers_in_use.get(), &first);
  field(a, "loop_wakeups", c.loop_wakeups.get(), &first);
  field(a, "deferred", c.deferred.get(), &first);
  field(a, "deferred_in_flight", c.deferred_in_flight.get(), &first);
  field(a, "timeouts_handler", c.timeouts_handler.get(), &first);
  field(a, "abandoned", c.abandoned.get(), &first);
  field(a, "late_completions", c.late_completions.get(), &first);
  field(a, "responses_too_large", c.responses_too_large.get(), &first);
  field(a, "static_requests", c.static_requests.get(), &first);
  field(a, "file_responses", c.file_responses.get(), &first);
  field(a, "static_not_modified", c.static_not_modified.get(), &first);
  field(a, "file_bytes", c.file_bytes.get(), &first);
  field(a, "transfers_active", c.transfers_active.get(), &first);
  field(a, "static_cache_hits", c.static_cache_hits.get(), &first);
  field(a, "gzip_responses", c.gzip_responses.get(), &first);
  field(a, "gzip_bytes_in", c.gzip_bytes_in.get(), &first);
  field(a, "gzip_bytes_out", c.gzip_bytes_out.get(), &first);
  field(a, "tls_handshakes", c.tls_handshakes.get(), &first);
  field(a, "tls_resumed", c.tls_resumed.get(), &first);
  field(a, "tls_sessions_in_use", c.tls_sessions_in_use.get(), &first);
  field(a, "tls_bytes_in", c.tls_bytes_in.get(), &first);
  field(a, "tls_bytes_out", c.tls_bytes_out.get(), &first);
  field(a, "streams_started", c.streams_started.get(), &first);
  field(a, "streams_open", c.streams_open.get(), &first);
  field(a, "stream_bytes", c.stream_bytes.get(), &first);
  field(a, "stream_pings", c.stream_pings.get(), &first);
  field(a, "stream_disconnects", c.stream_disconnects.get(), &first);
  field(a, "stream_aborts", c.stream_aborts.get(), &first);
  field(a, "ws_upgrades", c.ws_upgrades.get(), &first);
  field(a, "ws_refused", c.ws_refused.get(), &first);
  field(a, "ws_open", c.ws_open.get(), &first);
  field(a, "ws_frames_out", c.ws_frames_out.get(), &first);
  field(a, "ws_messages_in", c.ws_messages_in.get(), &first);
  field(a, "ws_messages_out", c.ws_messages_out.get(), &first);
  field(a, "ws_pings_sent", c.ws_pings_sent.get(), &first);
  field(a, "ws_pongs_sent", c.ws_pongs_sent.get(), &first);
  field(a, "ws_closes_in", c.ws_closes_in.get(), &first);
  field(a, "ws_closes_out", c.ws_closes_out.get(), &first);
  field(a, "ws_protocol_errors", c.ws_protocol_errors.get(), &first);
  field(a, "ws_timeouts", c.ws_timeouts.get(), &first);
  field(a, "ws_read_paused", c.ws_read_paused.get(), &first);
  field(a, "ws_dropped", c.ws_dropped.get(), &first);
  a.put(",\"status\":{");
  first = true;
  for (size_t i = 0; i < kNumCountedStatuses; i++) {
    char name[4] = {char('0' + kCountedStatuses[i] / 100),
                    char('0' + kCountedStatuses[i] / 10 % 10), char('0' + kCountedStatuses[i] % 10),
                    '\0'};
    field(a, name, c.status[i].get(), &first);
  }
  field(a, "other", c.status_other.get(), &first);
  a.put("},\"parse_errors\":{");
  first = true;
  static_assert(http::kNumParseErrors <= sizeof c.parse_errors / sizeof c.parse_errors[0]);
  for (size_t i = 1; i < http::kNumParseErrors; i++)
    field(a, http::kParseErrors[i].counter, c.parse_errors[i].get(), &first);
  a.put("},\"tls_failed\":{");
  first = true;
  static_assert(sizeof tls::kFailureNames / sizeof tls::kFailureNames[0] ==
                sizeof c.tls_failed / sizeof c.tls_failed[0]);
  for (size_t i = 1; i < sizeof c.tls_failed / sizeof c.tls_failed[0]; i++)
    field(a, tls::kFailureNames[i], c.tls_failed[i].get(), &first);
  a.put("}}");
  return a.ok() ? a.size() : 0;
}

}  // namespace viper
