"""Korean particles (조사) after words, numbers, amounts and units, and the catalogue's placeholder filters.

Every expected value below is written out by hand from how the text is read aloud. The rule: a particle
with two forms takes the first after a final consonant (받침) of the last *pronounced* syllable and the
second after a vowel — 이/가, 은/는, 을/를, 과/와; 으로/로 takes 로 after a vowel *and* after ㄹ. Numbers
are read in Sino-Korean by their last pronounced unit: 0 영 (ㅇ), 1 일 (ㄹ), 2 이 (–), 3 삼 (ㅁ), 4 사 (–),
5 오 (–), 6 육 (ㄱ), 7 칠 (ㄹ), 8 팔 (ㄹ), 9 구 (–); 10 십 (ㅂ), 100 백 (ㄱ), 1,000 천 (ㄴ), 10,000 만 (ㄴ),
10⁸ 억 (ㄱ); decimals digit by digit. Symbols and Latin letters by their Korean names: % 퍼센트 (–),
k 케이 (–), M 엠 (ㅁ), L 엘 (ㄹ), R 알 (ㄹ), T 티 (–).
"""

from __future__ import annotations

import pytest

from salesmetrics import i18n
from salesmetrics.i18n import final_sound, particle, text, with_particle, with_suffix

CASES = [
    # word,              particle, expected             reading of the last syllable
    # --- 로/으로 after digits and numbers
    ("1", "로", "1로"),                            # 일: ㄹ, so 로 (not 으로)
    ("2", "로", "2로"),                            # 이: no final consonant
    ("3", "으로", "3으로"),                        # 삼: ㅁ
    ("6", "로", "6으로"),                          # 육: ㄱ
    ("7", "으로", "7로"),                          # 칠: ㄹ
    ("0", "로", "0으로"),                          # 영: ㅇ
    ("10", "로", "10으로"),                        # 십: ㅂ
    ("20", "로", "20으로"),                        # 이십: ㅂ
    ("100", "로", "100으로"),                      # 백: ㄱ
    ("1,000", "로", "1,000으로"),                  # 천: ㄴ
    ("4.06", "로", "4.06으로"),                    # 사 점 영 육: ㄱ
    ("3.12(5점 만점)", "로", "3.12(5점 만점)로"),   # the bracket is not read: 삼 점 일 이
    # --- 로/으로 after amounts and units
    ("₩1.4억", "로", "₩1.4억으로"),                # 억: ㄱ
    ("₩3,400만", "로", "₩3,400만으로"),            # 만: ㄴ
    ("₩9,500", "로", "₩9,500으로"),                # 구천오백: ㄱ
    ("$1.4M", "로", "$1.4M으로"),                  # 엠: ㅁ
    ("$61.4k", "으로", "$61.4k로"),                # 케이: no final consonant
    ("15%", "으로", "15%로"),                      # 퍼센트: no final consonant
    ("24시간", "로", "24시간으로"),                # 간: ㄴ
    # --- 로/으로 after words
    ("서울", "으로", "서울로"),                    # 울: ㄹ
    ("부산", "로", "부산으로"),                    # 산: ㄴ
    ("학교", "으로", "학교로"),                    # 교: no final consonant
    ("SDR", "로", "SDR로"),                        # 에스디알: ㄹ
    ("Mid-Market", "로", "Mid-Market으로"),        # 미드마켓: ㅅ
    ("segment", "으로", "segment로"),              # 세그먼트: no final consonant
    ("region", "로", "region으로"),                # 리전: ㄴ
    # --- 이/가
    ("SDR팀", "가", "SDR팀이"),                    # 팀: ㅁ
    ("매출", "가", "매출이"),                      # 출: ㄹ
    ("CSAT", "이", "CSAT가"),                      # 씨에스에이티: no final consonant
    ("MQL", "가", "MQL이"),                        # 엠큐엘: ㄹ
    ("15%", "이", "15%가"),                        # 퍼센트
    ("2", "이", "2가"),                            # 이
    ("5", "이/가", "5가"),                         # 오
    ("10", "가", "10이"),                          # 십: ㅂ
    ("closed_at", "가", "closed_at이"),            # 클로즈드 앳: ㅅ
    # --- 은/는
    ("3", "는", "3은"),                            # 삼: ㅁ
    ("4", "은", "4는"),                            # 사
    ("8", "는", "8은"),                            # 팔: ㄹ
    ("회사", "은", "회사는"),                      # 사
    ("고객 만족도 하락", "는", "고객 만족도 하락은"),  # 락: ㄱ
    ("sales_decline", "는", "sales_decline은"),    # 디클라인: ㄴ
    ("80%", "은", "80%는"),                        # 퍼센트
    # --- 을/를, 과/와 after unit words (최근 2{units|를} ... {k}{units|와})
    ("매출 감소", "을", "매출 감소를"),            # 소
    ("영업 담당자 이직", "를", "영업 담당자 이직을"),  # 직: ㄱ
    ("개 분기", "을", "개 분기를"),                # 기
    ("개월", "를", "개월을"),                      # 월: ㄹ
    ("개 분기", "과", "개 분기와"),                # 기
    ("개월", "와", "개월과"),                      # 월: ㄹ
    ("년", "와", "년과"),                          # 년: ㄴ
]


@pytest.mark.parametrize(("word", "name", "expected"), CASES)
def test_the_particle_follows_the_last_pronounced_syllable(word, name, expected):
    assert with_particle(word, name) == expected
    assert word + particle(word, name) == expected


def test_the_table_is_big_enough_and_covers_the_three_main_pairs():
    assert len(CASES) >= 25
    assert {"로", "으로"} & {n for _, n, _ in CASES} and {"이", "가"} & {n for _, n, _ in CASES}
    assert {"은", "는"} & {n for _, n, _ in CASES}


@pytest.mark.parametrize(("number", "final"), [
    ("10000", "ㄴ"),        # 만
    ("100000", "ㄴ"),       # 십만
    ("10000000", "ㄴ"),     # 천만
    ("100000000", "ㄱ"),    # 억
    ("1000000000000", "ㄴ"),  # 조
    ("2.50", "ㅇ"),         # 이 점 오 영
    ("-3", "ㅁ"),           # 마이너스 삼
])
def test_large_numbers_end_in_their_unit(number, final):
    assert final_sound(number) == final


def test_an_unknown_reading_writes_both_forms():
    assert particle("", "로") == "(으)로" and particle("東京", "이") == "이(가)" and particle("🙂", "을") == "을(를)"
    assert particle("東京", "이나") == "(이)나"


def test_an_unknown_particle_is_an_error():
    with pytest.raises(ValueError, match="unknown particle"):
        particle("서울", "에서")


@pytest.mark.parametrize(("name", "suffix", "expected"), [
    ("SDR", "팀", "SDR팀"),
    ("SDR팀", "팀", "SDR팀"),          # never "SDR팀 팀"
    ("영업 팀", "팀", "영업 팀"),
    ("중견기업", " 세그먼트", "중견기업 세그먼트"),
    ("대기업 세그먼트", " 세그먼트", "대기업 세그먼트"),
])
def test_a_word_is_appended_once(name, suffix, expected):
    assert with_suffix(name, suffix) == expected


@pytest.fixture
def fake_catalogue(monkeypatch):
    strings = {
        "t.amount": "{when} {amount|로} 떨어졌습니다",
        "t.team": "{team|+팀|이} 줄었습니다",
        "t.org": "설계: {org|@org}",
        "org.process": "프로세스형",
    }
    monkeypatch.setattr(i18n, "catalogue", lambda lang: strings)


def test_placeholder_filters_in_a_catalogue(fake_catalogue):
    assert text("t.amount", "ko", when="2025Q3", amount="₩1.4억") == "2025Q3 ₩1.4억으로 떨어졌습니다"
    assert text("t.amount", "ko", when="2025Q3", amount="$61.4k") == "2025Q3 $61.4k로 떨어졌습니다"
    assert text("t.team", "ko", team="SDR") == text("t.team", "ko", team="SDR팀") == "SDR팀이 줄었습니다"
    assert text("t.org", "ko", org="process") == "설계: 프로세스형"
    assert text("t.org", "ko", org="my design") == "설계: my design"  # unknown to the catalogue: as it is


def test_a_value_with_braces_is_never_read_as_a_placeholder(fake_catalogue):
    assert text("t.amount", "ko", when="{amount}", amount="{x}") == "{amount} {x}로 떨어졌습니다"  # 엑스
    with pytest.raises(KeyError):
        text("t.amount", "ko", when="2025Q3")
