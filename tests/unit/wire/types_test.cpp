#include "wire/types.hpp"

#include <gtest/gtest.h>

namespace dnspush::wire {
namespace {

TEST(RRTypeText, KnownMnemonicsRoundTrip) {
  const RRType all[] = {
      RRType::A,    RRType::NS,     RRType::MD,    RRType::MF,         RRType::CNAME,
      RRType::SOA,  RRType::MB,     RRType::MG,    RRType::MR,         RRType::NULL_,
      RRType::WKS,  RRType::PTR,    RRType::HINFO, RRType::MINFO,      RRType::MX,
      RRType::TXT,  RRType::RP,     RRType::AFSDB, RRType::RT,         RRType::SIG,
      RRType::KEY,  RRType::PX,     RRType::AAAA,  RRType::SRV,        RRType::NAPTR,
      RRType::KX,   RRType::DNAME,  RRType::OPT,   RRType::DS,         RRType::RRSIG,
      RRType::NSEC, RRType::DNSKEY, RRType::NSEC3, RRType::NSEC3PARAM, RRType::TLSA,
      RRType::SVCB, RRType::HTTPS,  RRType::TKEY,  RRType::TSIG,       RRType::IXFR,
      RRType::AXFR, RRType::ANY,    RRType::CAA};
  for (RRType t : all) {
    const std::string s = to_text(t);
    EXPECT_EQ(s.rfind("TYPE", 0), std::string::npos) << s;
    EXPECT_EQ(rrtype_from_text(s), t) << s;
  }
  EXPECT_EQ(to_text(RRType::NULL_), "NULL");
  EXPECT_EQ(to_text(RRType::NSEC3PARAM), "NSEC3PARAM");
  EXPECT_EQ(to_text(RRType::CAA), "CAA");
}

TEST(RRTypeText, UnknownUsesRfc3597Form) {
  EXPECT_EQ(to_text(static_cast<RRType>(65280)), "TYPE65280");
  EXPECT_EQ(to_text(static_cast<RRType>(0)), "TYPE0");
  EXPECT_EQ(rrtype_from_text("TYPE65280"), static_cast<RRType>(65280));
  EXPECT_EQ(rrtype_from_text("type1"), RRType::A);  // RFC 3597 §5: any type by number
  EXPECT_EQ(rrtype_from_text("TYPE65535"), static_cast<RRType>(65535));
}

TEST(RRTypeText, FromTextIsCaseInsensitiveAndStrict) {
  EXPECT_EQ(rrtype_from_text("aaaa"), RRType::AAAA);
  EXPECT_EQ(rrtype_from_text("Https"), RRType::HTTPS);
  EXPECT_EQ(rrtype_from_text("null"), RRType::NULL_);
  EXPECT_FALSE(rrtype_from_text(""));
  EXPECT_FALSE(rrtype_from_text("TYPE"));
  EXPECT_FALSE(rrtype_from_text("TYPE65536"));
  EXPECT_FALSE(rrtype_from_text("TYPE-1"));
  EXPECT_FALSE(rrtype_from_text("TYPE1x"));
  EXPECT_FALSE(rrtype_from_text("TYPE123456"));
  EXPECT_FALSE(rrtype_from_text("NOSUCH"));
  EXPECT_FALSE(rrtype_from_text("AA"));
}

TEST(RRClassText, MnemonicsAndGenericForm) {
  EXPECT_EQ(to_text(RRClass::IN), "IN");
  EXPECT_EQ(to_text(RRClass::CH), "CH");
  EXPECT_EQ(to_text(RRClass::HS), "HS");
  EXPECT_EQ(to_text(RRClass::NONE), "NONE");
  EXPECT_EQ(to_text(RRClass::ANY), "ANY");
  EXPECT_EQ(to_text(static_cast<RRClass>(2)), "CLASS2");
  EXPECT_EQ(rrclass_from_text("in"), RRClass::IN);
  EXPECT_EQ(rrclass_from_text("CHAOS"), RRClass::CH);
  EXPECT_EQ(rrclass_from_text("none"), RRClass::NONE);
  EXPECT_EQ(rrclass_from_text("CLASS1"), RRClass::IN);
  EXPECT_EQ(rrclass_from_text("class4660"), static_cast<RRClass>(4660));
  EXPECT_FALSE(rrclass_from_text("CLASS"));
  EXPECT_FALSE(rrclass_from_text("CLASS70000"));
  EXPECT_FALSE(rrclass_from_text("INX"));
}

TEST(RcodeText, NamesAsDigPrintsThem) {
  EXPECT_EQ(to_text(Rcode::NOERROR), "NOERROR");
  EXPECT_EQ(to_text(Rcode::FORMERR), "FORMERR");
  EXPECT_EQ(to_text(Rcode::SERVFAIL), "SERVFAIL");
  EXPECT_EQ(to_text(Rcode::NXDOMAIN), "NXDOMAIN");
  EXPECT_EQ(to_text(Rcode::NOTIMP), "NOTIMP");
  EXPECT_EQ(to_text(Rcode::REFUSED), "REFUSED");
  EXPECT_EQ(to_text(Rcode::YXDOMAIN), "YXDOMAIN");
  EXPECT_EQ(to_text(Rcode::YXRRSET), "YXRRSET");
  EXPECT_EQ(to_text(Rcode::NXRRSET), "NXRRSET");
  EXPECT_EQ(to_text(Rcode::NOTAUTH), "NOTAUTH");
  EXPECT_EQ(to_text(Rcode::NOTZONE), "NOTZONE");
  EXPECT_EQ(to_text(Rcode::DSOTYPENI), "DSOTYPENI");
  EXPECT_EQ(to_text(Rcode::BADVERS), "BADVERS");
  EXPECT_EQ(to_text(Rcode::BADCOOKIE), "BADCOOKIE");
  EXPECT_EQ(to_text(static_cast<Rcode>(12)), "RCODE12");
  EXPECT_EQ(to_text(static_cast<Rcode>(4095)), "RCODE4095");
}

TEST(OpcodeText, NamesAndGenericForm) {
  EXPECT_EQ(to_text(Opcode::QUERY), "QUERY");
  EXPECT_EQ(to_text(Opcode::IQUERY), "IQUERY");
  EXPECT_EQ(to_text(Opcode::STATUS), "STATUS");
  EXPECT_EQ(to_text(Opcode::NOTIFY), "NOTIFY");
  EXPECT_EQ(to_text(Opcode::UPDATE), "UPDATE");
  EXPECT_EQ(to_text(Opcode::DSO), "DSO");
  EXPECT_EQ(to_text(static_cast<Opcode>(3)), "OPCODE3");
  EXPECT_EQ(to_text(static_cast<Opcode>(15)), "OPCODE15");
}

TEST(MetaType, Rfc6895Ranges) {
  EXPECT_TRUE(is_meta_type(RRType::OPT));
  EXPECT_TRUE(is_meta_type(RRType::TSIG));
  EXPECT_TRUE(is_meta_type(RRType::ANY));
  EXPECT_FALSE(is_meta_type(RRType::A));
  EXPECT_FALSE(is_meta_type(RRType::CAA));
}

}  // namespace
}  // namespace dnspush::wire
