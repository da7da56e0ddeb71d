#include "description/yaml_node.h"

#include <yaml.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <new>
#include <string>
#include <unordered_map>
#include <utility>

namespace fanout {
namespace {

constexpr char kStrTag[] = "tag:yaml.org,2002:str";

/// The character at a 1-based line and column (columns count UTF-8 characters, as libyaml
/// does), or 0 when out of range.
char CharAt(std::string_view text, SourceMark mark) {
  std::size_t pos = 0;
  for (int line = 1; line < mark.line; ++line) {
    pos = text.find('\n', pos);
    if (pos == std::string_view::npos) return 0;
    ++pos;
  }
  for (int column = 1; pos < text.size(); ++pos) {
    if (text[pos] == '\n') return 0;
    if ((static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) continue;
    if (column++ == mark.column) return text[pos];
  }
  return 0;
}

/// Owns a yaml_parser_t reading from a string that must outlive it.
class Parser {
 public:
  explicit Parser(std::string_view text) {
    ok_ = yaml_parser_initialize(&parser_) != 0;
    if (ok_) {
      yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()),
                                   text.size());
    }
  }
  ~Parser() {
    if (ok_) yaml_parser_delete(&parser_);
  }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  bool ok() const { return ok_; }
  yaml_parser_t* get() { return &parser_; }

 private:
  yaml_parser_t parser_{};
  bool ok_ = false;
};

/// Owns the current event; Next() releases the previous one.
class Event {
 public:
  Event() = default;
  ~Event() { Reset(); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  bool Next(yaml_parser_t* parser) {
    Reset();
    live_ = yaml_parser_parse(parser, &event_) != 0;
    return live_;
  }
  const yaml_event_t& get() const { return event_; }

 private:
  void Reset() {
    if (live_) yaml_event_delete(&event_);
    live_ = false;
  }

  yaml_event_t event_{};
  bool live_ = false;
};

SourceMark ToMark(const yaml_mark_t& mark) {
  return SourceMark{static_cast<int>(mark.line) + 1, static_cast<int>(mark.column) + 1};
}

std::string AsString(const yaml_char_t* s) {
  return s ? std::string(reinterpret_cast<const char*>(s)) : std::string();
}

std::string_view ScalarValue(const yaml_event_t& event) {
  return std::string_view(reinterpret_cast<const char*>(event.data.scalar.value),
                          event.data.scalar.length);
}

/// Builds the tree from the event stream, one frame per open sequence or mapping.
class TreeBuilder {
 public:
  TreeBuilder(const std::string& file, const YamlParseOptions& options)
      : file_(file), options_(options) {}

  YamlParseResult Run(std::string_view text) {
    result_.arena = std::make_shared<YamlArena>();
    arena_ = result_.arena.get();
    // Nodes record their expanded size in 32 bits.
    max_nodes_ = std::min<std::size_t>(
        std::max(options_.max_expanded_nodes, options_.expanded_nodes_per_byte * text.size()),
        std::numeric_limits<std::uint32_t>::max());
    Parser parser(text);
    if (!parser.ok()) {
      Fail({}, "cannot initialize the YAML parser");
      return Finish();
    }
    Event event;
    bool in_document = false;
    while (!result_.fatal) {
      if (!event.Next(parser.get())) {
        ReportParserError(*parser.get(), text);
        break;
      }
      const yaml_event_t& e = event.get();
      if (e.type == YAML_STREAM_END_EVENT) break;
      if (e.type == YAML_DOCUMENT_START_EVENT) {
        if (documents_++ > 0) {
          AddError(ToMark(e.start_mark), "a description holds one YAML document; found a second",
                   {"help: remove the '---' line and everything after it"});
          break;
        }
        in_document = true;
        continue;
      }
      if (e.type == YAML_DOCUMENT_END_EVENT) {
        in_document = false;
        continue;
      }
      if (in_document) Handle(e);
    }
    return Finish();
  }

 private:
  /// An open sequence or mapping. Frames are reused from one collection to the next, so their
  /// vectors keep their capacity.
  struct Frame {
    YamlNode* node = nullptr;
    std::string anchor;
    YamlNodePtr pending_key = nullptr;
    // The collection's contents so far; copied into the arena when it ends.
    std::vector<YamlNodePtr> items;
    std::vector<YamlNode::Entry> entries;
    // Scalar keys so far (explicit ones, then merged ones), indexed once the mapping grows
    // past a handful of entries so a 10,000-target mapping stays linear.
    std::vector<const YamlNode*> keys;
    std::unique_ptr<std::unordered_map<std::string_view, const YamlNode*>> index;
    std::vector<YamlNodePtr> merges;  // `<<` sources, in order

    void Reset(YamlNode* n) {
      node = n;
      anchor.clear();
      pending_key = nullptr;
      items.clear();
      entries.clear();
      keys.clear();
      index.reset();
      merges.clear();
    }

    /// The key already in the mapping that equals `key`, or nullptr after adding `key`.
    const YamlNode* AddKey(const YamlNode* key) {
      constexpr std::size_t kIndexAbove = 8;
      if (index) {
        auto [it, inserted] = index->emplace(key->scalar(), key);
        return inserted ? nullptr : it->second;
      }
      for (const YamlNode* k : keys) {
        if (k->scalar() == key->scalar()) return k;
      }
      keys.push_back(key);
      if (keys.size() > kIndexAbove) {
        index = std::make_unique<std::unordered_map<std::string_view, const YamlNode*>>();
        for (const YamlNode* k : keys) index->emplace(k->scalar(), k);
      }
      return nullptr;
    }
  };

  void Handle(const yaml_event_t& e) {
    const SourceMark mark = ToMark(e.start_mark);
    switch (e.type) {
      case YAML_SCALAR_EVENT: {
        if (!Count(1, mark)) return;
        YamlNode* node = arena_->New();
        node->kind = YamlNode::Kind::kScalar;
        node->mark = mark;
        node->SetScalar(arena_->CopyText(ScalarValue(e)));
        const std::string_view tag =
            e.data.scalar.tag ? reinterpret_cast<const char*>(e.data.scalar.tag) : "";
        // A local tag (`!name`) is almost always a value that starts with '!' written
        // unquoted (`command: !cmd`, a '!' pattern): YAML would drop the tag silently.
        if (!tag.empty() && tag != "!" && tag.substr(0, 1) == "!") {
          const std::string value(ScalarValue(e));
          Fail(mark, "YAML tag '" + std::string(tag) + "' before '" + value + "'",
               {"help: fanout uses no YAML tags; a value that starts with '!' must be quoted: '" +
                std::string(tag) + (value.empty() ? "" : " " + value) + "'"});
          return;
        }
        node->plain =
            e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE && tag != kStrTag && tag != "!";
        node->quoted = e.data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
                       e.data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
        Complete(node, AsString(e.data.scalar.anchor));
        break;
      }
      case YAML_ALIAS_EVENT:
        Alias(AsString(e.data.alias.anchor), mark);
        break;
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        if (!Count(1, mark)) return;
        if (static_cast<int>(depth_) >= options_.max_depth) {
          Fail(mark, "the document nests lists and mappings more than " +
                         std::to_string(options_.max_depth) + " levels deep");
          return;
        }
        YamlNode* node = arena_->New();
        node->mark = mark;
        const bool seq = e.type == YAML_SEQUENCE_START_EVENT;
        node->kind = seq ? YamlNode::Kind::kSequence : YamlNode::Kind::kMapping;
        if (depth_ == frames_.size()) frames_.emplace_back();
        Frame& frame = frames_[depth_++];
        frame.Reset(node);
        const yaml_char_t* anchor =
            seq ? e.data.sequence_start.anchor : e.data.mapping_start.anchor;
        if (anchor) frame.anchor = reinterpret_cast<const char*>(anchor);
        break;
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: {
        Frame& frame = frames_[--depth_];
        if (frame.node->is_mapping()) ApplyMerges(frame);
        std::size_t size = 1;
        for (const auto& item : frame.items) size += item->expanded_size;
        for (const auto& entry : frame.entries) {
          size += entry.key->expanded_size + entry.value->expanded_size;
        }
        frame.node->expanded_size = static_cast<std::uint32_t>(size);  // <= max_nodes_
        if (frame.node->is_sequence()) {
          frame.node->SetItems(arena_->CopyList(frame.items));
        } else {
          frame.node->SetEntries(arena_->CopyList(frame.entries));
        }
        // The frame stays in frames_ (for reuse) and is not touched until Complete returns.
        Complete(frame.node, frame.anchor);
        break;
      }
      default:
        break;
    }
  }

  void Alias(const std::string& anchor, SourceMark mark) {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      const bool open = std::any_of(frames_.begin(), frames_.begin() + depth_,
                                    [&](const Frame& f) { return f.anchor == anchor; });
      if (open) {
        Fail(mark, "alias '*" + anchor + "' refers to a node that contains it");
      } else {
        Fail(mark, "unknown alias '*" + anchor + "'",
             {"note: an anchor must be defined with '&" + anchor + "' before it is used"});
      }
      return;
    }
    if (!Count(it->second->expanded_size, mark)) return;
    Attach(it->second);
  }

  void Complete(YamlNodePtr node, const std::string& anchor) {
    if (!anchor.empty()) anchors_[anchor] = node;
    Attach(node);
  }

  void Attach(YamlNodePtr node) {
    if (depth_ == 0) {
      if (!result_.root) result_.root = node;
      return;
    }
    Frame& frame = frames_[depth_ - 1];
    if (frame.node->is_sequence()) {
      frame.items.push_back(node);
      return;
    }
    if (!frame.pending_key) {
      frame.pending_key = node;
      return;
    }
    YamlNodePtr key = frame.pending_key;
    frame.pending_key = nullptr;
    if (key->is_scalar() && key->plain && key->scalar() == "<<") {
      AddMerge(frame, node);
      return;
    }
    if (key->is_scalar()) {
      if (const YamlNode* first = frame.AddKey(key)) {
        AddError(
            key->mark, "duplicate key '" + std::string(key->scalar()) + "'",
            {"note: '" + std::string(key->scalar()) + "' is first defined at line " +
             std::to_string(first->mark.line) + ", column " + std::to_string(first->mark.column)});
        return;
      }
    }
    frame.entries.push_back({key, node});
  }

  void AddMerge(Frame& frame, YamlNodePtr value) {
    if (value->is_mapping()) {
      frame.merges.push_back(value);
      return;
    }
    if (value->is_sequence() &&
        std::all_of(value->items().begin(), value->items().end(),
                    [](const YamlNodePtr& item) { return item->is_mapping(); })) {
      frame.merges.insert(frame.merges.end(), value->items().begin(), value->items().end());
      return;
    }
    AddError(value->mark,
             "a '<<' merge needs a mapping or a list of mappings, found " + value->Describe());
  }

  // Explicit keys win over merged ones, and earlier merge sources over later ones.
  static void ApplyMerges(Frame& frame) {
    for (const YamlNodePtr& source : frame.merges) {
      for (const YamlNode::Entry& entry : source->entries()) {
        if (!entry.key->is_scalar()) continue;
        if (frame.AddKey(entry.key)) continue;
        frame.entries.push_back(entry);
      }
    }
  }

  bool Count(std::size_t nodes, SourceMark mark) {
    total_ += nodes;
    if (total_ <= max_nodes_) return true;
    Fail(mark, "the document expands to more than " + std::to_string(max_nodes_) + " nodes",
         {"note: aliases ('*name') expand to a copy of their anchor; nested aliases grow "
          "exponentially"});
    return false;
  }

  void ReportParserError(const yaml_parser_t& parser, std::string_view text) {
    if (parser.error == YAML_MEMORY_ERROR) {
      Fail({}, "out of memory while parsing YAML");
      return;
    }
    std::string problem = parser.problem ? parser.problem : "invalid YAML";
    SourceMark mark;
    if (parser.error == YAML_READER_ERROR) {
      // Reader errors carry a byte offset, not a mark.
      const std::size_t offset = std::min(parser.problem_offset, text.size());
      mark.line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + offset, '\n'));
      const std::size_t nl = text.rfind('\n', offset == 0 ? 0 : offset - 1);
      mark.column =
          static_cast<int>(nl == std::string_view::npos || offset == 0 ? offset + 1 : offset - nl);
      if (parser.problem_value != -1) {
        char buf[16];
        std::snprintf(buf, sizeof buf, " (0x%02X)", parser.problem_value);
        problem += buf;
      }
    } else {
      mark = ToMark(parser.problem_mark);
    }
    std::vector<std::string> notes;
    if (problem.find("tab character") != std::string::npos || CharAt(text, mark) == '\t') {
      notes.push_back("help: indent with spaces; YAML does not allow tabs for indentation");
    }
    if (parser.context && std::string_view(parser.context) == "while scanning a tag") {
      notes.push_back(
          "help: a value that starts with '!' must be quoted ('!pattern'): unquoted, YAML reads "
          "'!' as a tag");
    }
    if (parser.context) {
      const SourceMark ctx = ToMark(parser.context_mark);
      notes.push_back(std::string("note: ") + parser.context + " at line " +
                      std::to_string(ctx.line) + ", column " + std::to_string(ctx.column));
    }
    Fail(mark, "invalid YAML: " + problem, std::move(notes));
  }

  void AddError(SourceMark mark, std::string message, std::vector<std::string> notes = {}) {
    result_.errors.push_back(Diagnostic{file_, mark, std::move(message), std::move(notes)});
  }

  void Fail(SourceMark mark, std::string message, std::vector<std::string> notes = {}) {
    AddError(mark, std::move(message), std::move(notes));
    result_.fatal = true;
  }

  YamlParseResult Finish() {
    if (result_.fatal) result_.root = nullptr;
    frames_.clear();
    depth_ = 0;
    anchors_.clear();
    return std::move(result_);
  }

  const std::string& file_;
  const YamlParseOptions& options_;
  YamlParseResult result_;
  YamlArena* arena_ = nullptr;
  std::vector<Frame> frames_;  ///< frames_[0, depth_) are open, innermost last
  std::size_t depth_ = 0;
  std::unordered_map<std::string, YamlNodePtr> anchors_;
  std::size_t total_ = 0;
  std::size_t max_nodes_ = 0;
  int documents_ = 0;
};

bool IsIntegerText(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

void* YamlArena::Allocate(std::size_t size, std::size_t align) {
  std::size_t pad =
      static_cast<std::size_t>(-reinterpret_cast<std::uintptr_t>(next_)) & (align - 1);
  if (pad + size > left_) {
    if (size > kBlock / 4) {
      // A block of its own for a large list (a 1,000-target mapping), leaving the current
      // block's free space for what follows. new[] aligns for any fundamental type.
      blocks_.push_back(std::make_unique_for_overwrite<std::byte[]>(size));
      return blocks_.back().get();
    }
    blocks_.push_back(std::make_unique_for_overwrite<std::byte[]>(kBlock));
    next_ = blocks_.back().get();
    left_ = kBlock;
    pad = 0;
  }
  void* p = next_ + pad;
  next_ += pad + size;
  left_ -= pad + size;
  return p;
}

static_assert(sizeof(YamlNode) <= 32, "a YAML node should stay small: there are tens of thousands");

YamlNode* YamlArena::New() {
  static_assert(std::is_trivially_destructible_v<YamlNode>);
  return new (Allocate(sizeof(YamlNode), alignof(YamlNode))) YamlNode();
}

std::string_view YamlArena::CopyText(std::string_view text) {
  if (text.empty()) return {};
  char* out = static_cast<char*>(Allocate(text.size(), 1));
  std::memcpy(out, text.data(), text.size());
  return {out, text.size()};
}

bool YamlNode::is_null() const {
  return kind == Kind::kScalar && plain &&
         (size_ == 0 || scalar() == "~" || scalar() == "null" || scalar() == "Null" ||
          scalar() == "NULL");
}

const YamlNode::Entry* YamlNode::Find(std::string_view key) const {
  for (const Entry& entry : entries()) {
    if (entry.key->is_scalar() && entry.key->scalar() == key) return &entry;
  }
  return nullptr;
}

std::string YamlNode::Describe() const {
  switch (kind) {
    case Kind::kMapping:
      return "a mapping";
    case Kind::kSequence:
      return "a list";
    case Kind::kScalar:
      break;
  }
  if (is_null()) return "null";
  const std::string_view text = scalar();
  if (plain && IsIntegerText(text)) return "an integer";
  if (plain && (text == "true" || text == "false" || text == "True" || text == "False" ||
                text == "TRUE" || text == "FALSE")) {
    return "a boolean";
  }
  return "a string";
}

YamlParseResult ParseYaml(std::string_view text, const std::string& file,
                          const YamlParseOptions& options) {
  return TreeBuilder(file, options).Run(text);
}

}  // namespace fanout
