#include "dso/event.hpp"

namespace dnspush::dso {

std::span<const AppTlv> push_tlvs() {
  static constexpr AppTlv kPush[] = {
      {TlvType::SUBSCRIBE, TlvKind::kRequest, Initiator::kClient},
      {TlvType::PUSH, TlvKind::kUnidirectional, Initiator::kServer},
      {TlvType::UNSUBSCRIBE, TlvKind::kUnidirectional, Initiator::kClient},
      {TlvType::RECONFIRM, TlvKind::kUnidirectional, Initiator::kClient},
  };
  return kPush;
}

std::string_view to_text(CloseReason r) {
  switch (r) {
    case CloseReason::kApplication:
      return "application";
    case CloseReason::kPeerClosed:
      return "peer-closed";
    case CloseReason::kIdleTimeout:
      return "idle-timeout";
    case CloseReason::kMessageTimeout:
      return "message-timeout";
    case CloseReason::kInactive:
      return "inactive";
    case CloseReason::kInactivityDelinquent:
      return "inactivity-delinquent";
    case CloseReason::kKeepaliveDelinquent:
      return "keepalive-delinquent";
    case CloseReason::kPeerSilent:
      return "peer-silent";
    case CloseReason::kEstablishmentTimeout:
      return "establishment-timeout";
    case CloseReason::kRetryDelay:
      return "retry-delay";
    case CloseReason::kRetryDelayIgnored:
      return "retry-delay-ignored";
    case CloseReason::kSlowReader:
      return "slow-reader";
    case CloseReason::kInputOverflow:
      return "input-overflow";
    case CloseReason::kMalformed:
      return "malformed";
    case CloseReason::kBadMessageId:
      return "bad-message-id";
    case CloseReason::kUnexpectedTlv:
      return "unexpected-tlv";
    case CloseReason::kUnknownUnidirectional:
      return "unknown-unidirectional";
    case CloseReason::kNotEstablished:
      return "not-established";
    case CloseReason::kBadKeepalive:
      return "bad-keepalive";
    case CloseReason::kResponseTlv:
      return "response-tlv";
    case CloseReason::kTcpKeepaliveOption:
      return "tcp-keepalive-option";
  }
  return "unknown";
}

bool is_protocol_error(CloseReason r) {
  return static_cast<std::uint8_t>(r) >= static_cast<std::uint8_t>(CloseReason::kMalformed);
}

}  // namespace dnspush::dso
